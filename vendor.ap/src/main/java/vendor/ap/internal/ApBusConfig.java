package vendor.ap.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The simulated AP bus (configuration {@code vendor.ap.bus}; without one, these defaults):
 * ap_config_info and the installed adapters and domains, and the ids the host keeps (the bits
 * set in /sys/bus/ap/apmask and aqmask); every other installed queue is reserved for vfio_ap.
 */
@ObjectClassDefinition(name = "AP bus", description = "The simulated s390 AP (crypto) configuration")
@interface ApBusConfig {
    @AttributeDefinition(description = "APXA: extended addressing (ids up to Na/Nd rather than 63/15)")
    boolean apxa() default true;

    @AttributeDefinition(description = "Na: the largest adapter id with APXA")
    int na() default 255;

    @AttributeDefinition(description = "Nd: the largest domain id with APXA")
    int nd() default 255;

    @AttributeDefinition(description = "Installed adapter ids")
    int[] adapters() default { 3, 4, 5 };

    @AttributeDefinition(description = "Installed domain ids")
    int[] domains() default { 4, 5, 71 };

    @AttributeDefinition(description = "Adapter ids the host keeps (apmask)")
    int[] apmask() default { 5 };

    @AttributeDefinition(description = "Domain ids the host keeps (aqmask)")
    int[] aqmask() default { 71 };
}
