package vfio.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told that {@code [iova, iova + size)} is being unmapped while pages in it are pinned; must
 * unpin them before returning (the kernel's VFIO_IOMMU_NOTIFY_DMA_UNMAP notifier).
 */
@ConsumerType
@FunctionalInterface
public interface VfioDmaUnmapListener {
    void dmaUnmapped(long iova, long size);
}
