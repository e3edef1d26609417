package vfio.core;

/** {@code struct vfio_device_info}: what VFIO_DEVICE_GET_INFO reports. */
public record VfioDeviceInfo(int flags, int numRegions, int numIrqs) {
}
