package vfio.core;

import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A VFIO device as the vfio-mdev class driver publishes it, one service per bound mediated
 * device, with the mdev.* properties of its device. Containers and groups come later; for now
 * a device is opened directly (by finding the service of its UUID).
 */
@ProviderType
public interface VfioDevice {
    UUID uuid();

    /** The VFIO device name, the mdev's UUID as VFIO_GROUP_GET_DEVICE_FD takes it. */
    String name();

    /** The physical device whose IOMMU backs this one (an IOMMU-backed mdev), if any. */
    java.util.Optional<String> iommuDevice();

    /**
     * Opens the device: takes an open reference on the mdev (its removal answers EBUSY until
     * the file is closed) and calls the vendor's open. ENODEV once the device has gone.
     *
     * @param files the caller's file table, where eventfd numbers of SET_IRQS are resolved
     */
    VfioDeviceFile open(FileTable files);

    /**
     * Opens the device inside a container (VFIO_GROUP_GET_DEVICE_FD): the vendor's open gets
     * {@code context}, and {@code onRelease} runs once when this open ends, by close or
     * because the device went, after every lock of the device is released.
     */
    VfioDeviceFile open(FileTable files, VfioDeviceContext context, Runnable onRelease);

    /** Whether the device has display planes (VFIO_DEVICE_QUERY_GFX_PLANE answers). */
    default boolean hasDisplay() {
        return false;
    }

    /** What the device has done so far (reads, writes, ioctls, interrupts); {@link VfioDeviceStats#NONE} if it does not count. */
    default VfioDeviceStats stats() {
        return VfioDeviceStats.NONE;
    }
}
