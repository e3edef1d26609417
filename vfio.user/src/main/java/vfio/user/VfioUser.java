package vfio.user;

/**
 * The vfio-user protocol's numbers (QEMU docs/interop/vfio-user.rst): commands, header flags,
 * the version this implementation speaks and the limits it applies. All data is little-endian
 * (the host's order on the machines we run on).
 */
public final class VfioUser {
    private VfioUser() {
    }

    public static final int VFIO_USER_VERSION = 1;
    public static final int VFIO_USER_DMA_MAP = 2;
    public static final int VFIO_USER_DMA_UNMAP = 3;
    public static final int VFIO_USER_DEVICE_GET_INFO = 4;
    public static final int VFIO_USER_DEVICE_GET_REGION_INFO = 5;
    public static final int VFIO_USER_DEVICE_GET_REGION_IO_FDS = 6;
    public static final int VFIO_USER_DEVICE_GET_IRQ_INFO = 7;
    public static final int VFIO_USER_DEVICE_SET_IRQS = 8;
    public static final int VFIO_USER_REGION_READ = 9;
    public static final int VFIO_USER_REGION_WRITE = 10;
    public static final int VFIO_USER_DMA_READ = 11;
    public static final int VFIO_USER_DMA_WRITE = 12;
    public static final int VFIO_USER_DEVICE_RESET = 13;
    public static final int VFIO_USER_REGION_WRITE_MULTI = 15;
    public static final int VFIO_USER_DEVICE_FEATURE = 16;
    public static final int VFIO_USER_MIG_DATA_READ = 17;
    public static final int VFIO_USER_MIG_DATA_WRITE = 18;

    /** Header: msg id u16 @0, command u16 @2, size u32 @4 (header included), flags u32 @8, error u32 @12. */
    public static final int HEADER_SIZE = 16;
    public static final int FLAGS_TYPE_MASK = 0xf;
    public static final int FLAGS_TYPE_COMMAND = 0;
    public static final int FLAGS_TYPE_REPLY = 1;
    public static final int FLAGS_NO_REPLY = 1 << 4;
    public static final int FLAGS_ERROR = 1 << 5;

    public static final int VERSION_MAJOR = 0;
    /** The highest minor version spoken; the reply's is the smaller of this and the client's. */
    public static final int VERSION_MINOR = 2;

    /** The default of the max_data_xfer_size capability (1 MiB), also ours. */
    public static final int DEFAULT_MAX_DATA_XFER_SIZE = 1 << 20;
    /** The default of max_msg_fds when a peer names none. */
    public static final int DEFAULT_MAX_MSG_FDS = 1;
    /**
     * How many fds we take in one message (SET_IRQS of MSI-X vectors come in chunks of it). QEMU
     * refuses a VERSION reply offering more than its VFIO_USER_MAX_MAX_FDS, 16.
     */
    public static final int MAX_MSG_FDS = 16;
    /** pgsizes: the page sizes DMA maps may use, or'ed together (4 KiB pages only). */
    public static final long PGSIZES = 4096;
    /** max_dma_maps: the DMA map windows a client may have at once (type1's dma_entry_limit). */
    public static final int MAX_DMA_MAPS = 65535;
    /** The largest message accepted: a full transfer plus its fixed part, with room for a version's JSON. */
    public static final int MAX_MESSAGE_SIZE = HEADER_SIZE + DEFAULT_MAX_DATA_XFER_SIZE + 4096;

    /** DMA_MAP flags. */
    public static final int DMA_FLAG_READ = 1;
    public static final int DMA_FLAG_WRITE = 1 << 1;

    /** Struct sizes of the payloads with a fixed part. */
    public static final int DMA_MAP_SIZE = 32;
    public static final int DMA_UNMAP_SIZE = 24;
    public static final int DEVICE_INFO_SIZE = 16;
    public static final int REGION_INFO_SIZE = 32;
    public static final int IRQ_INFO_SIZE = 16;
    public static final int IRQ_SET_SIZE = 20;
    public static final int REGION_ACCESS_SIZE = 16;
    public static final int DMA_ACCESS_SIZE = 16;

    public static String commandName(int command) {
        return switch (command) {
            case VFIO_USER_VERSION -> "VERSION";
            case VFIO_USER_DMA_MAP -> "DMA_MAP";
            case VFIO_USER_DMA_UNMAP -> "DMA_UNMAP";
            case VFIO_USER_DEVICE_GET_INFO -> "DEVICE_GET_INFO";
            case VFIO_USER_DEVICE_GET_REGION_INFO -> "DEVICE_GET_REGION_INFO";
            case VFIO_USER_DEVICE_GET_REGION_IO_FDS -> "DEVICE_GET_REGION_IO_FDS";
            case VFIO_USER_DEVICE_GET_IRQ_INFO -> "DEVICE_GET_IRQ_INFO";
            case VFIO_USER_DEVICE_SET_IRQS -> "DEVICE_SET_IRQS";
            case VFIO_USER_REGION_READ -> "REGION_READ";
            case VFIO_USER_REGION_WRITE -> "REGION_WRITE";
            case VFIO_USER_DMA_READ -> "DMA_READ";
            case VFIO_USER_DMA_WRITE -> "DMA_WRITE";
            case VFIO_USER_DEVICE_RESET -> "DEVICE_RESET";
            case VFIO_USER_REGION_WRITE_MULTI -> "REGION_WRITE_MULTI";
            case VFIO_USER_DEVICE_FEATURE -> "DEVICE_FEATURE";
            case VFIO_USER_MIG_DATA_READ -> "MIG_DATA_READ";
            case VFIO_USER_MIG_DATA_WRITE -> "MIG_DATA_WRITE";
            default -> "command " + command;
        };
    }
}
