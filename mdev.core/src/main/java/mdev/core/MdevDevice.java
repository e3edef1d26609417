package mdev.core;

import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A mediated device on the bus (the kernel's {@code struct mdev_device}), also registered as a
 * service with the properties of {@link MdevConstants}.
 */
@ProviderType
public interface MdevDevice {
    UUID uuid();

    /** Name of the parent device. */
    String parent();

    /** Type id, {@code <driver>-<name>}. */
    String type();

    /** The class id set by the parent at create, or {@link MdevClassId#NONE}. */
    int classId();

    /**
     * {@code mdev_set_class_id}: only during the parent's create; EBUSY afterwards, EINVAL
     * for a class id that is not positive.
     */
    void setClassId(int classId);

    /** {@code mdev_get_dev_ops}: the per-device callbacks the class driver uses, or null. */
    Object deviceOps();

    /** {@code mdev_set_dev_ops}: only during the parent's create; EBUSY afterwards. */
    void setDeviceOps(Object ops);

    /**
     * {@code mdev_set_iommu_device}: makes the device IOMMU-backed by naming the physical
     * device whose IOMMU isolates it (with an aux domain). Only during the parent's create;
     * EBUSY afterwards, EINVAL for an empty name.
     */
    void setIommuDevice(String physicalDevice);

    /** {@code mdev_get_iommu_device}: the physical IOMMU device, if the device is IOMMU-backed. */
    java.util.Optional<String> iommuDevice();

    /**
     * Takes an open reference for a class driver: while any is held, removing the device
     * answers EBUSY. ENODEV if the device is being removed or gone.
     */
    void acquire();

    /** Drops a reference taken by {@link #acquire}. */
    void release();

    /** Number of open references held through class drivers. */
    int openCount();

    /** True once the device has left the bus (or is leaving it). */
    boolean isRemoved();
}
