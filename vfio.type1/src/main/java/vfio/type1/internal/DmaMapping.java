package vfio.type1.internal;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;

/** One VFIO_IOMMU_MAP_DMA (struct vfio_dma) with its pinned pages; guarded by the IOMMU's lock. */
final class DmaMapping {
    final long iova;
    final long size;
    final long vaddr;
    final int prot;
    /** The VM memory behind the mapping, shared with the VM. */
    final ByteBuffer memory;
    /** Pin counts by IOVA of the page (the kernel's pfn_list). */
    final Map<Long, Integer> pinned = new HashMap<>();

    DmaMapping(long iova, long size, long vaddr, int prot, ByteBuffer memory) {
        this.iova = iova;
        this.size = size;
        this.vaddr = vaddr;
        this.prot = prot;
        this.memory = memory;
    }

    /** The last IOVA of the mapping, inclusive. */
    long last() {
        return iova + size - 1;
    }

    boolean contains(long address) {
        return Long.compareUnsigned(address, iova) >= 0 && Long.compareUnsigned(address, last()) <= 0;
    }
}
