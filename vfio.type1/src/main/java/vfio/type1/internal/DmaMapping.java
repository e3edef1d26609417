package vfio.type1.internal;

import java.util.HashMap;
import java.util.Map;

import vfio.core.VmMemory;

/** One VFIO_IOMMU_MAP_DMA (struct vfio_dma) with its pinned pages; guarded by the IOMMU's lock. */
final class DmaMapping {
    final long iova;
    final long size;
    final long vaddr;
    final int prot;
    /** The VM memory behind the mapping: shared with the VM, or reached by messages (vfio-user without a descriptor). */
    final VmMemory memory;
    /** The index of the mapping's region in its IOMMU's table of backings (what page table entries name). */
    final int backingIndex;
    /** Where the mapping starts in that region. */
    final long backingOffset;
    /** Pin counts by IOVA of the page (the kernel's pfn_list). */
    final Map<Long, Integer> pinned = new HashMap<>();

    DmaMapping(long iova, long size, long vaddr, int prot, VmMemory memory) {
        this(iova, size, vaddr, prot, memory, 0, 0);
    }

    DmaMapping(long iova, long size, long vaddr, int prot, VmMemory memory, int backingIndex, long backingOffset) {
        this.backingIndex = backingIndex;
        this.backingOffset = backingOffset;
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
