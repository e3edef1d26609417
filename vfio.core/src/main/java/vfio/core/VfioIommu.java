package vfio.core;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The IOMMU of one container (the {@code iommu_data} of a vfio_iommu_driver). The container
 * serialises calls to it; {@link #dma()} is called from vendors' threads and must be
 * thread-safe on its own.
 */
@ConsumerType
public interface VfioIommu {
    /** A group joins the container (ops->attach_group). */
    void attachGroup(VfioIommuGroup group);

    /** A group leaves the container (ops->detach_group). */
    void detachGroup(VfioIommuGroup group);

    /** Every container ioctl VFIO itself does not handle (ops->ioctl); ENOTTY if unknown. */
    long ioctl(int cmd, ByteBuffer arg);

    /** DMA access for the vendors of devices in this container. */
    VfioDma dma();

    /** The container lets go of the IOMMU (ops->release): everything it holds is freed. */
    void release();
}
