package virtio.core;

import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/** The virtio bus as front ends and tests see it: devices and the driver bound to each. */
@ProviderType
public interface VirtioBus {
    /** Names of the devices on the bus, sorted. */
    List<String> devices();

    /** The class name of the driver bound to a device, if any. */
    Optional<String> driverOf(String device);

    /**
     * A device's driver lets it go (its remove, the device reset), and no driver takes the device
     * until {@link #bind}: the bus's unbind file. ENODEV for no such device.
     */
    void unbind(String device);

    /** Lets drivers take the device again (the bus's bind file); ENODEV for no such device. */
    void bind(String device);

    /**
     * The device's driver_override set to none, by name: while reserved, no guest driver takes
     * the device, whether it is on the bus now (its driver lets it go, as {@link #unbind}) or
     * arrives later; unreserved, drivers may take it again. What a transport that gives the
     * device to a VM does (a vDPA device given to vhost-vdpa instead of virtio-vdpa).
     */
    void reserve(String device, boolean reserved);
}
