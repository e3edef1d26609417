package vfio.core;

import java.util.List;

/**
 * {@code struct vfio_region_info}: what VFIO_DEVICE_GET_REGION_INFO reports for one region,
 * with its capability chain. A region of size 0 is absent.
 */
public record VfioRegionInfo(int index, int flags, long size, long offset, List<Cap> caps) {
    public VfioRegionInfo {
        caps = List.copyOf(caps);
    }

    public VfioRegionInfo(int index, int flags, long size, long offset) {
        this(index, flags, size, offset, List.of());
    }

    /** A region capability. */
    public sealed interface Cap permits SparseMmap, Type {
    }

    /** VFIO_REGION_INFO_CAP_SPARSE_MMAP: the parts of the region that can be mmapped. */
    public record SparseMmap(List<Area> areas) implements Cap {
        public SparseMmap {
            areas = List.copyOf(areas);
        }
    }

    /** {@code struct vfio_region_sparse_mmap_area}. */
    public record Area(long offset, long size) {
    }

    /** VFIO_REGION_INFO_CAP_TYPE: a device-specific region's type and subtype. */
    public record Type(int type, int subtype) implements Cap {
    }
}
