package vfio.type1.internal;

import java.util.List;

import vfio.core.VfioIommuInfo.IovaRange;

/**
 * The simulated platform IOMMU below type1: a 48-bit IOVA aperture (as Intel VT-d gives)
 * with x86's MSI window reserved, and 4 KiB, 2 MiB and 1 GiB pages. Every container sees it,
 * whether its groups are mdevs or IOMMU-backed; the kernel reports no IOVA ranges for a
 * container holding only mdevs, here the platform's ranges apply to all.
 */
final class PlatformIommu {
    static final int PAGE_SHIFT = 12;
    static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    static final long APERTURE_END = (1L << 48) - 1;
    static final long MSI_START = 0xfee0_0000L;
    static final long MSI_END = 0xfeef_ffffL;
    static final long PGSIZE_BITMAP = (1L << 12) | (1L << 21) | (1L << 30);
    static final List<IovaRange> IOVA_RANGES = List.of(new IovaRange(0, MSI_START - 1),
            new IovaRange(MSI_END + 1, APERTURE_END));

    private PlatformIommu() {
    }

    /** vfio_iommu_iova_dma_valid: {@code [start, end]} lies inside one IOVA range. */
    static boolean iovaValid(long start, long end) {
        for (IovaRange r : IOVA_RANGES) {
            if (Long.compareUnsigned(start, r.start()) >= 0 && Long.compareUnsigned(end, r.end()) <= 0) {
                return true;
            }
        }
        return false;
    }
}
