package virtio.core;

/** Constants of the virtio 1.1 specification (and include/uapi/linux/virtio_*.h). */
public final class Virtio {
    /** Device status bits (§2.1). */
    public static final int STATUS_ACKNOWLEDGE = 1;
    public static final int STATUS_DRIVER = 2;
    public static final int STATUS_DRIVER_OK = 4;
    public static final int STATUS_FEATURES_OK = 8;
    public static final int STATUS_DEVICE_NEEDS_RESET = 64;
    public static final int STATUS_FAILED = 128;

    /** Reserved feature bits (§6). */
    public static final int F_RING_INDIRECT_DESC = 28;
    public static final int F_RING_EVENT_IDX = 29;
    public static final int F_VERSION_1 = 32;
    public static final int F_ACCESS_PLATFORM = 33;
    public static final int F_RING_PACKED = 34;

    /** Device ids (§5). */
    public static final int ID_NET = 1;
    public static final int ID_BLOCK = 2;
    public static final int ID_CONSOLE = 3;
    public static final int ID_GPU = 16;

    /** Descriptor flags (§2.6.5). */
    public static final int VRING_DESC_F_NEXT = 1;
    public static final int VRING_DESC_F_WRITE = 2;
    public static final int VRING_DESC_F_INDIRECT = 4;

    /** The largest split queue (§2.6). */
    public static final int MAX_QUEUE_SIZE = 32768;

    /** Service property of virtio devices and drivers: the device id. */
    public static final String DEVICE_ID = "virtio.device.id";
    /** Service property of virtio devices: the device's name on the bus. */
    public static final String DEVICE_NAME = "virtio.device.name";

    private Virtio() {
    }

    public static long bit(int feature) {
        return 1L << feature;
    }
}
