package vfio.core;

/**
 * {@code struct vfio_region_info}: what VFIO_DEVICE_GET_REGION_INFO reports for one region.
 * A region of size 0 is absent.
 */
public record VfioRegionInfo(int index, int flags, long size, long offset) {
}
