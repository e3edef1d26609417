package vendor.ap.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * The simulated AP bus (configuration {@code vendor.ap.bus}; without one, these defaults):
 * ap_config_info, the installed adapters and domains, and /sys/bus/ap/apmask and aqmask: a
 * queue whose adapter is in apmask and domain in aqmask stays with the host's drivers, every
 * other installed queue is available to vfio_ap. The defaults keep adapter 5 for the host.
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

    @AttributeDefinition(description = "apmask: adapter ids of the host's queues")
    int[] apmask() default { 5 };

    @AttributeDefinition(description = "aqmask: domain ids of the host's queues")
    int[] aqmask() default { 4, 5, 71 };
}
