package vfio.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told that {@code [iova, iova + size)} is being unmapped while pages in it are pinned; must
 * unpin them before returning (the kernel's VFIO_IOMMU_NOTIFY_DMA_UNMAP notifier). It is
 * called without the IOMMU's lock. A vendor should record its pins under a lock of its own,
 * held both around {@link VfioDma#pinPages} and in this listener, so an unmap never meets a
 * pin the vendor has not recorded yet; an unmap whose pins stay after ten notifications fails
 * with EBUSY and leaves the mapping in place.
 */
@ConsumerType
@FunctionalInterface
public interface VfioDmaUnmapListener {
    void dmaUnmapped(long iova, long size);
}
