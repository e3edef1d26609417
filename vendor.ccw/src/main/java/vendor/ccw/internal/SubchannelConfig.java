package vendor.ccw.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One subchannel with a block device (factory configuration {@code vendor.ccw.subchannel}).
 * Property names: {@code schid}, {@code capacity}, {@code online}, {@code paths}, {@code delay.ms}.
 */
@ObjectClassDefinition(name = "vfio-ccw subchannel", description = "A simulated s390 I/O subchannel with a block device")
@interface SubchannelConfig {
    @AttributeDefinition(description = "Subchannel id cssid.ssid.schno, the parent device's name")
    String schid() default "0.0.0100";

    @AttributeDefinition(description = "Capacity of the attached block device in bytes (kept in memory)")
    int capacity() default 1 << 20;

    @AttributeDefinition(description = "Whether the device is operational (false: ssch answers ENODEV)")
    boolean online() default true;

    @AttributeDefinition(description = "Path mask of operational channel paths (an ORB's lpm outside it: EACCES)")
    int paths() default 0x80;

    @AttributeDefinition(description = "Milliseconds a channel program waits before it runs (for tests)")
    long delay_ms() default 0;
}
