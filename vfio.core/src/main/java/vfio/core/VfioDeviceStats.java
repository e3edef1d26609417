package vfio.core;

/**
 * What a VFIO device has done since it was created: region reads and writes and ioctls made
 * through its files, and interrupts it signalled to the eventfds VFIO_DEVICE_SET_IRQS gave it.
 * A snapshot; the counts only grow.
 */
public record VfioDeviceStats(long reads, long writes, long ioctls, long interrupts) {
    /** For a device that does not count. */
    public static final VfioDeviceStats NONE = new VfioDeviceStats(0, 0, 0, 0);
}
