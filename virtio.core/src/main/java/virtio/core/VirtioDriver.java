package virtio.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A guest-side virtio driver, registered as a service with the {@link Virtio#DEVICE_ID} it
 * drives. The bus probes it with every device of that id and removes it before the device or
 * the driver goes.
 */
@ConsumerType
public interface VirtioDriver {
    /** Binds the device: negotiate features, find queues, set DRIVER_OK. A failure leaves it unbound. */
    void probe(VirtioGuestDevice device);

    /** The device or this driver is going; the bus resets the device afterwards. */
    void remove(VirtioGuestDevice device);
}
