package virtio.core;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

import vfio.core.VmAddressSpace;

/**
 * The callbacks of a virtio device (the virtio-mdev series' {@code virtio_mdev_device_ops}),
 * which virtio.mdev uses for mdevs of class VIRTIO and the bus drives. Queue and config
 * offsets and sizes come from the driver and are checked by the device (EINVAL).
 *
 * <p>One addition to the kernel's set: {@link #setGuestMemory}. Kernel devices share the
 * kernel's address space; here the transport tells the device which address space its rings
 * and buffers are in, before any queue address is set.
 */
@ConsumerType
public interface VirtioDeviceOps {
    void setGuestMemory(VmAddressSpace memory);

    void setVqAddress(int index, long descArea, long driverArea, long deviceArea);

    void setVqNum(int index, int num);

    void kickVq(int index);

    void setVqCallback(int index, VirtioCallback callback);

    /**
     * The name the guest driver gave the queue (Linux's find_vqs names, e.g. "control"). An
     * addition to the virtio-mdev ops for devices that, like uvirtio, act by queue name.
     */
    default void setVqName(int index, String name) {
    }

    void setVqReady(int index, boolean ready);

    boolean getVqReady(int index);

    /** The queue's last available index seen by the device (for migration). */
    void setVqState(int index, long state);

    long getVqState(int index);

    int getVqAlign();

    long getFeatures();

    /** The features the driver accepted; EINVAL for one the device does not offer. */
    void setFeatures(long features);

    void setConfigCallback(VirtioCallback callback);

    int getVqNumMax();

    /**
     * How many queues the device has (a virtio-pci transport's num_queues; the virtio-mdev ops
     * leave it to each driver's knowledge of its device type). By default the queues whose
     * readiness can be asked, counted until the device answers EINVAL.
     */
    default int getQueueCount() {
        int n = 0;
        try {
            while (n < 1024) {
                getVqReady(n);
                n++;
            }
        } catch (mdev.core.ErrnoException pastTheLast) {
            // the first index the device does not have
        }
        return n;
    }

    int getDeviceId();

    int getVendorId();

    int getStatus();

    /** Writing 0 resets the device. */
    void setStatus(int status);

    void getConfig(int offset, ByteBuffer dst);

    /**
     * The size of the device's config space (vdpa's get_config_size). By default the longest
     * read from offset 0, up to 4096 bytes, that the device answers.
     */
    default int getConfigSize() {
        int lo = 0;
        int hi = 4096;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            try {
                getConfig(0, ByteBuffer.allocate(mid));
                lo = mid;
            } catch (mdev.core.ErrnoException tooLong) {
                hi = mid - 1;
            }
        }
        return lo;
    }

    void setConfig(int offset, ByteBuffer src);

    int getGeneration();
}
