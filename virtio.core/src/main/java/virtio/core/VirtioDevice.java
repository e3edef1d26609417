package virtio.core;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A device on the virtio bus, registered as a service with {@link Virtio#DEVICE_ID} and
 * {@link Virtio#DEVICE_NAME} by whoever provides it (virtio.mdev for mdevs, virtio.uvirtio).
 * Calls answer ENODEV once its provider has taken it away.
 */
@ProviderType
public interface VirtioDevice extends VirtioDeviceOps {
    String name();
}
