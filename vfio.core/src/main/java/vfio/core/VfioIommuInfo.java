package vfio.core;

import java.util.List;

/**
 * What VFIO_IOMMU_GET_INFO reports: flags, the page sizes, the usable IOVA ranges (IOVA range
 * capability) and, for nesting IOMMUs, the stage-1 PASID table format (nesting capability, 0
 * when absent).
 */
public record VfioIommuInfo(int flags, long iovaPgsizes, List<IovaRange> iovaRanges, int pasidFormat) {
    /** An inclusive IOVA range, {@code struct vfio_iova_range}. */
    public record IovaRange(long start, long end) {
    }

    public VfioIommuInfo {
        iovaRanges = List.copyOf(iovaRanges);
    }
}
