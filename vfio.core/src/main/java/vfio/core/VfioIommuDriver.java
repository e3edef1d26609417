package vfio.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * An IOMMU backend (the kernel's {@code vfio_iommu_driver_ops}), registered as a service with
 * the {@code vfio.iommu.type} property listing the types it serves. Containers pick one at
 * VFIO_SET_IOMMU. When the service goes, every container using it loses its IOMMU: later
 * calls answer ENODEV and everything it held is released.
 */
@ConsumerType
public interface VfioIommuDriver {
    /** Service property: the IOMMU types (Integer or Integer[]) this driver opens. */
    String TYPE_PROPERTY = "vfio.iommu.type";

    /** VFIO_CHECK_EXTENSION: positive if {@code extension} is supported, else 0. */
    int checkExtension(int extension);

    /** Opens an IOMMU of {@code type} for a container of {@code vm} (ops->open). */
    VfioIommu open(int type, VmAddressSpace vm);
}
