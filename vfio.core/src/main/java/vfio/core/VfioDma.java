package vfio.core;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * What a vendor driver reaches guest memory through: the IOMMU of the container its device is
 * in (the kernel's vfio_pin_pages, vfio_unpin_pages, vfio_dma_rw and the DMA-unmap notifier).
 * Addresses are IOVAs; nothing here goes around the IOMMU.
 */
@ProviderType
public interface VfioDma {
    int IOMMU_READ = 1;
    int IOMMU_WRITE = 2;

    /** VFIO_PIN_PAGES_MAX_ENTRIES: at most this many pages per call (E2BIG beyond). */
    int PIN_PAGES_MAX_ENTRIES = 512;

    /**
     * vfio_pin_pages: pins the pages whose IOVA page numbers are {@code userPfns} and returns
     * their host page numbers (the VM's virtual page numbers). The caller must have an unmap
     * listener registered (EINVAL otherwise); EINVAL for a page no mapping covers, EPERM for a
     * mapping without {@code prot}, EACCES on a type1 (v1) IOMMU. All or nothing.
     */
    long[] pinPages(long[] userPfns, int prot);

    /**
     * vfio_unpin_pages: drops one pin of each page; returns how many were given. EINVAL for a
     * page no mapping covers; a page not pinned is passed over, as the kernel does.
     */
    int unpinPages(long[] userPfns);

    /** Reads {@code dst.remaining()} bytes of guest memory at {@code iova}; EFAULT if unmapped. */
    void read(long iova, ByteBuffer dst);

    /** Writes {@code src.remaining()} bytes at {@code iova}; EFAULT if unmapped, EPERM if read-only. */
    void write(long iova, ByteBuffer src);

    /** Whether every byte of {@code [iova, iova + length)} is mapped (a zero length: whether iova is). */
    default boolean mapped(long iova, long length) {
        return false;
    }

    /**
     * Translates an address of a PASID-tagged request from {@code physicalDevice} (the IOMMU
     * device of an IOMMU-backed mdev, a Scalable-IOV work queue) as the platform IOMMU does in
     * nesting mode: through the guest page table bound to {@code pasid} on that device
     * (VFIO_IOMMU_BIND, first level) to an IOVA of this container (its DMA mappings are the
     * second level). Returns the IOVA of {@code address}; access it with {@link #read} and
     * {@link #write}, page by page. Translations are cached per bind until
     * VFIO_IOMMU_CACHE_INVALIDATE flushes them, as an IOTLB is.
     *
     * <p>EFAULT (a DMA page fault) when the PASID is not bound on that device in this
     * container, an entry on the walk is not present, or {@code prot} asks for a write a
     * read-only entry forbids; the message names the address and the level.
     */
    default long translatePasid(String physicalDevice, int pasid, long address, int prot) {
        throw new mdev.core.ErrnoException(mdev.core.Errno.EFAULT, "PASID " + pasid
                + " requests are not translated by this IOMMU");
    }

    /** VFIO_IOMMU_NOTIFY_DMA_UNMAP: called before pinned pages of an unmapped range go. */
    void addUnmapListener(VfioDmaUnmapListener listener);

    void removeUnmapListener(VfioDmaUnmapListener listener);
}
