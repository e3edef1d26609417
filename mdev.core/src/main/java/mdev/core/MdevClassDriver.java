package mdev.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A class driver (vfio-mdev, virtio-mdev), registered as a service with the
 * {@link MdevConstants#CLASS_ID} property. The bus binds it to every device of that class id:
 * those present when it arrives and those created later. When it goes away, or a device
 * leaves, the bus unbinds.
 */
@ConsumerType
public interface MdevClassDriver {
    /**
     * Binds {@code device}. Fails with EINVAL if the device's ops are not of this class's ops
     * type; the device then stays unbound.
     */
    void bind(MdevDevice device);

    /**
     * Unbinds {@code device}: every handle opened through this driver is closed first, later
     * calls on them answer ENODEV, and calls in flight have returned when this returns.
     */
    void unbind(MdevDevice device);
}
