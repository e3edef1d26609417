package vfio.core;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * Byte-exact codec of the VFIO device ioctls: {@link #dispatch} is the kernel side (decode,
 * validate, call the typed {@link VfioDeviceIoctls}, write the reply back in place); the
 * {@code getInfo}/{@code getRegionInfo}/... methods are the user side that typed callers use.
 *
 * <p>An ioctl argument is the struct at {@code arg.position()}; the codec reads and writes it
 * with absolute, little-endian accesses (it sets the buffer's byte order). A buffer shorter
 * than what the kernel would copy answers EFAULT, as a bad user pointer does.
 */
public final class VfioIoctlCodec {
    /*
     * struct vfio_device_info {
     *     __u32 argsz;        0
     *     __u32 flags;        4
     *     __u32 num_regions;  8
     *     __u32 num_irqs;    12
     * };                     16 = minsz (offsetofend num_irqs)
     */
    public static final int DEVICE_INFO_ARGSZ = 0;
    public static final int DEVICE_INFO_FLAGS = 4;
    public static final int DEVICE_INFO_NUM_REGIONS = 8;
    public static final int DEVICE_INFO_NUM_IRQS = 12;
    public static final int DEVICE_INFO_MINSZ = 16;

    /*
     * struct vfio_region_info {
     *     __u32 argsz;        0
     *     __u32 flags;        4
     *     __u32 index;        8
     *     __u32 cap_offset;  12
     *     __u64 size;        16
     *     __u64 offset;      24
     * };                     32 = minsz (offsetofend offset)
     */
    public static final int REGION_INFO_ARGSZ = 0;
    public static final int REGION_INFO_FLAGS = 4;
    public static final int REGION_INFO_INDEX = 8;
    public static final int REGION_INFO_CAP_OFFSET = 12;
    public static final int REGION_INFO_SIZE = 16;
    public static final int REGION_INFO_OFFSET = 24;
    public static final int REGION_INFO_MINSZ = 32;

    /*
     * struct vfio_irq_info {
     *     __u32 argsz;   0
     *     __u32 flags;   4
     *     __u32 index;   8
     *     __u32 count;  12
     * };                16 = minsz (offsetofend count)
     */
    public static final int IRQ_INFO_ARGSZ = 0;
    public static final int IRQ_INFO_FLAGS = 4;
    public static final int IRQ_INFO_INDEX = 8;
    public static final int IRQ_INFO_COUNT = 12;
    public static final int IRQ_INFO_MINSZ = 16;

    /*
     * struct vfio_irq_set {
     *     __u32 argsz;   0
     *     __u32 flags;   4
     *     __u32 index;   8
     *     __u32 start;  12
     *     __u32 count;  16
     *     __u8  data[]; 20 = minsz (offsetofend count)
     * };
     */
    public static final int IRQ_SET_ARGSZ = 0;
    public static final int IRQ_SET_FLAGS = 4;
    public static final int IRQ_SET_INDEX = 8;
    public static final int IRQ_SET_START = 12;
    public static final int IRQ_SET_COUNT = 16;
    public static final int IRQ_SET_DATA = 20;
    public static final int IRQ_SET_MINSZ = 20;

    private VfioIoctlCodec() {
    }

    // ---- kernel side --------------------------------------------------------------------

    /** Decodes and runs one device ioctl against {@code device}; returns the ioctl's result. */
    public static long dispatch(int cmd, ByteBuffer arg, FileTable files, VfioDeviceIoctls device) {
        if (cmd == VFIO_DEVICE_RESET) {
            device.reset();
            return 0;
        }
        if (cmd == VFIO_DEVICE_GET_INFO) {
            int base = begin(arg, DEVICE_INFO_MINSZ, "vfio_device_info");
            VfioDeviceInfo info = device.getInfo();
            arg.putInt(base + DEVICE_INFO_FLAGS, info.flags());
            arg.putInt(base + DEVICE_INFO_NUM_REGIONS, info.numRegions());
            arg.putInt(base + DEVICE_INFO_NUM_IRQS, info.numIrqs());
            return 0;
        }
        if (cmd == VFIO_DEVICE_GET_REGION_INFO) {
            int base = begin(arg, REGION_INFO_MINSZ, "vfio_region_info");
            int index = checkIndex(arg.getInt(base + REGION_INFO_INDEX), device.getInfo().numRegions(), "region");
            VfioRegionInfo info = device.getRegionInfo(index);
            int flags = info.flags();
            int capOffset = 0;
            int capsSize = capsSize(info.caps());
            if (capsSize > 0) {
                flags |= VFIO_REGION_INFO_FLAG_CAPS;
                int argsz = arg.getInt(base + REGION_INFO_ARGSZ);
                if (Integer.toUnsignedLong(argsz) < REGION_INFO_MINSZ + capsSize) {
                    // Too small for the chain: say how much is needed (vfio-pci does the same).
                    arg.putInt(base + REGION_INFO_ARGSZ, REGION_INFO_MINSZ + capsSize);
                } else {
                    if (arg.remaining() < REGION_INFO_MINSZ + capsSize) {
                        throw new ErrnoException(Errno.EFAULT, "vfio_region_info argsz " + Integer.toUnsignedString(argsz)
                                + " is larger than the buffer of " + arg.remaining());
                    }
                    putCaps(arg, base, info.caps());
                    capOffset = REGION_INFO_MINSZ;
                }
            }
            arg.putInt(base + REGION_INFO_FLAGS, flags);
            arg.putInt(base + REGION_INFO_CAP_OFFSET, capOffset);
            arg.putLong(base + REGION_INFO_SIZE, info.size());
            arg.putLong(base + REGION_INFO_OFFSET, info.offset());
            return 0;
        }
        if (cmd == VFIO_DEVICE_GET_IRQ_INFO) {
            int base = begin(arg, IRQ_INFO_MINSZ, "vfio_irq_info");
            int index = checkIndex(arg.getInt(base + IRQ_INFO_INDEX), device.getInfo().numIrqs(), "irq");
            VfioIrqInfo info = device.getIrqInfo(index);
            arg.putInt(base + IRQ_INFO_FLAGS, info.flags());
            arg.putInt(base + IRQ_INFO_COUNT, info.count());
            return 0;
        }
        if (cmd == VFIO_DEVICE_SET_IRQS) {
            device.setIrqs(decodeIrqSet(arg, files, device));
            return 0;
        }
        if (cmd == VFIO_DEVICE_QUERY_GFX_PLANE || cmd == VFIO_DEVICE_GET_GFX_DMABUF) {
            if (!(device instanceof VfioGfxIoctls gfx)) {
                throw new ErrnoException(Errno.ENOTTY, "the device has no display planes (ioctl 0x"
                        + Integer.toHexString(cmd) + ")");
            }
            return cmd == VFIO_DEVICE_QUERY_GFX_PLANE ? queryGfxPlane(arg, gfx) : getGfxDmabuf(arg, files, gfx);
        }
        throw new ErrnoException(Errno.ENOTTY, "unknown device ioctl 0x" + Integer.toHexString(cmd));
    }

    /*
     * struct vfio_device_gfx_plane_info (v5.5): __u32 argsz 0, flags 4, drm_plane_type 8,
     * drm_format 12; __u64 drm_format_mod 16; __u32 width 24, height 28, stride 32, size 36,
     * x_pos 40, y_pos 44, x_hot 48, y_hot 52, {region_index | dmabuf_id} 56; minsz 60 (offsetofend
     * of the union), 64 with the tail padding (a later kernel names it reserved).
     */
    public static final int GFX_PLANE_ARGSZ = 0;
    public static final int GFX_PLANE_FLAGS = 4;
    public static final int GFX_PLANE_DRM_PLANE_TYPE = 8;
    public static final int GFX_PLANE_DRM_FORMAT = 12;
    public static final int GFX_PLANE_DRM_FORMAT_MOD = 16;
    public static final int GFX_PLANE_WIDTH = 24;
    public static final int GFX_PLANE_HEIGHT = 28;
    public static final int GFX_PLANE_STRIDE = 32;
    public static final int GFX_PLANE_SIZE = 36;
    public static final int GFX_PLANE_X_POS = 40;
    public static final int GFX_PLANE_Y_POS = 44;
    public static final int GFX_PLANE_X_HOT = 48;
    public static final int GFX_PLANE_Y_HOT = 52;
    public static final int GFX_PLANE_ID = 56;
    public static final int GFX_PLANE_MINSZ = 60;
    public static final int GFX_PLANE_STRUCT_SIZE = 64;

    /** The only flag values a query may carry (vfio.h: "Others are invalid and return -EINVAL"). */
    static boolean validGfxPlaneFlags(int flags) {
        return flags == (VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF)
                || flags == (VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION)
                || flags == VFIO_GFX_PLANE_TYPE_DMABUF || flags == VFIO_GFX_PLANE_TYPE_REGION;
    }

    private static long queryGfxPlane(ByteBuffer arg, VfioGfxIoctls gfx) {
        int base = begin(arg, GFX_PLANE_MINSZ, "vfio_device_gfx_plane_info");
        int flags = arg.getInt(base + GFX_PLANE_FLAGS);
        if (!validGfxPlaneFlags(flags)) {
            throw new ErrnoException(Errno.EINVAL, "vfio_device_gfx_plane_info.flags 0x" + Integer.toHexString(flags)
                    + " must be PROBE|DMABUF, PROBE|REGION, DMABUF or REGION");
        }
        VfioGfxPlaneInfo plane = gfx.queryGfxPlane(flags, arg.getInt(base + GFX_PLANE_DRM_PLANE_TYPE));
        if ((flags & VFIO_GFX_PLANE_TYPE_PROBE) != 0 || plane == null) {
            return 0;
        }
        arg.putInt(base + GFX_PLANE_DRM_FORMAT, plane.drmFormat())
                .putLong(base + GFX_PLANE_DRM_FORMAT_MOD, plane.drmFormatMod())
                .putInt(base + GFX_PLANE_WIDTH, plane.width()).putInt(base + GFX_PLANE_HEIGHT, plane.height())
                .putInt(base + GFX_PLANE_STRIDE, plane.stride()).putInt(base + GFX_PLANE_SIZE, plane.size())
                .putInt(base + GFX_PLANE_X_POS, plane.xPos()).putInt(base + GFX_PLANE_Y_POS, plane.yPos())
                .putInt(base + GFX_PLANE_X_HOT, plane.xHot()).putInt(base + GFX_PLANE_Y_HOT, plane.yHot())
                .putInt(base + GFX_PLANE_ID, plane.id());
        return 0;
    }

    /** VFIO_DEVICE_GET_GFX_DMABUF: the argument is the __u32 dmabuf_id; returns the new fd. */
    private static long getGfxDmabuf(ByteBuffer arg, FileTable files, VfioGfxIoctls gfx) {
        if (arg == null || arg.remaining() < 4) {
            throw new ErrnoException(Errno.EFAULT, "VFIO_DEVICE_GET_GFX_DMABUF needs a __u32 dmabuf_id");
        }
        int id = arg.order(ByteOrder.LITTLE_ENDIAN).getInt(arg.position());
        return files.install(gfx.getGfxDmabuf(id));
    }

    /** VFIO_DEVICE_QUERY_GFX_PLANE from the user's side: null for a successful probe. */
    public static VfioGfxPlaneInfo queryGfxPlane(VfioDeviceFile file, int flags, int drmPlaneType) {
        ByteBuffer b = ByteBuffer.allocate(GFX_PLANE_STRUCT_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GFX_PLANE_ARGSZ, GFX_PLANE_STRUCT_SIZE).putInt(GFX_PLANE_FLAGS, flags)
                .putInt(GFX_PLANE_DRM_PLANE_TYPE, drmPlaneType);
        file.ioctl(VFIO_DEVICE_QUERY_GFX_PLANE, b);
        if ((flags & VFIO_GFX_PLANE_TYPE_PROBE) != 0) {
            return null;
        }
        return new VfioGfxPlaneInfo(flags, drmPlaneType, b.getInt(GFX_PLANE_DRM_FORMAT), b.getLong(GFX_PLANE_DRM_FORMAT_MOD),
                b.getInt(GFX_PLANE_WIDTH), b.getInt(GFX_PLANE_HEIGHT), b.getInt(GFX_PLANE_STRIDE), b.getInt(GFX_PLANE_SIZE),
                b.getInt(GFX_PLANE_X_POS), b.getInt(GFX_PLANE_Y_POS), b.getInt(GFX_PLANE_X_HOT), b.getInt(GFX_PLANE_Y_HOT),
                b.getInt(GFX_PLANE_ID));
    }

    /** VFIO_DEVICE_GET_GFX_DMABUF from the user's side: the fd installed in the file's table. */
    public static int getGfxDmabuf(VfioDeviceFile file, int dmabufId) {
        return (int) file.ioctl(VFIO_DEVICE_GET_GFX_DMABUF, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, dmabufId));
    }

    /** EINVAL unless {@code index} (unsigned, as in the struct) is below {@code count}. */
    private static int checkIndex(int index, int count, String what) {
        if (Integer.compareUnsigned(index, count) >= 0) {
            throw new ErrnoException(Errno.EINVAL, what + " index " + Integer.toUnsignedString(index) + " >= num_"
                    + what + "s " + count);
        }
        return index;
    }

    /*
     * struct vfio_info_cap_header { __u16 id; 0  __u16 version; 2  __u32 next; 4 };  8
     * struct vfio_region_info_cap_sparse_mmap { header; __u32 nr_areas; 8  __u32 reserved; 12
     *     struct vfio_region_sparse_mmap_area { __u64 offset; __u64 size; } areas[]; 16, 16 each };
     * struct vfio_region_info_cap_type { header; __u32 type; 8  __u32 subtype; 12 };  16
     * Caps follow the struct; next is an offset from the struct's start, 0 for the last.
     */
    public static final int CAP_HEADER_SIZE = 8;
    public static final int CAP_SPARSE_NR_AREAS = 8;
    public static final int CAP_SPARSE_AREAS = 16;
    public static final int CAP_SPARSE_AREA_SIZE = 16;
    public static final int CAP_TYPE_TYPE = 8;
    public static final int CAP_TYPE_SUBTYPE = 12;
    public static final int CAP_TYPE_SIZE = 16;

    private static int capSize(VfioRegionInfo.Cap cap) {
        return cap instanceof VfioRegionInfo.SparseMmap s ? CAP_SPARSE_AREAS + CAP_SPARSE_AREA_SIZE * s.areas().size()
                : CAP_TYPE_SIZE;
    }

    private static int capsSize(java.util.List<VfioRegionInfo.Cap> caps) {
        int size = 0;
        for (VfioRegionInfo.Cap cap : caps) {
            size += capSize(cap);
        }
        return size;
    }

    private static void putCaps(ByteBuffer arg, int base, java.util.List<VfioRegionInfo.Cap> caps) {
        int at = REGION_INFO_MINSZ;
        for (int i = 0; i < caps.size(); i++) {
            VfioRegionInfo.Cap cap = caps.get(i);
            int size = capSize(cap);
            int next = i + 1 < caps.size() ? at + size : 0;
            int p = base + at;
            arg.putShort(p, (short) (cap instanceof VfioRegionInfo.SparseMmap ? VFIO_REGION_INFO_CAP_SPARSE_MMAP
                    : VFIO_REGION_INFO_CAP_TYPE));
            arg.putShort(p + 2, (short) 1);
            arg.putInt(p + 4, next);
            if (cap instanceof VfioRegionInfo.SparseMmap sparse) {
                arg.putInt(p + CAP_SPARSE_NR_AREAS, sparse.areas().size());
                arg.putInt(p + CAP_SPARSE_NR_AREAS + 4, 0);
                for (int a = 0; a < sparse.areas().size(); a++) {
                    arg.putLong(p + CAP_SPARSE_AREAS + CAP_SPARSE_AREA_SIZE * a, sparse.areas().get(a).offset());
                    arg.putLong(p + CAP_SPARSE_AREAS + CAP_SPARSE_AREA_SIZE * a + 8, sparse.areas().get(a).size());
                }
            } else if (cap instanceof VfioRegionInfo.Type type) {
                arg.putInt(p + CAP_TYPE_TYPE, type.type());
                arg.putInt(p + CAP_TYPE_SUBTYPE, type.subtype());
            }
            at += size;
        }
    }

    /** Reads a region's capability chain from a GET_REGION_INFO reply. */
    static java.util.List<VfioRegionInfo.Cap> decodeCaps(ByteBuffer b) {
        java.util.List<VfioRegionInfo.Cap> caps = new java.util.ArrayList<>();
        int next = b.getInt(REGION_INFO_CAP_OFFSET);
        for (int hops = 0; next != 0; hops++) {
            if (next < REGION_INFO_MINSZ || next > b.limit() - CAP_HEADER_SIZE || hops > 64) {   // no int overflow
                throw new ErrnoException(Errno.EINVAL, "bad region capability offset " + next);
            }
            int id = b.getShort(next) & 0xffff;
            if (id == VFIO_REGION_INFO_CAP_SPARSE_MMAP && next + CAP_SPARSE_AREAS <= b.limit()) {
                int n = b.getInt(next + CAP_SPARSE_NR_AREAS);
                if (n < 0 || next + CAP_SPARSE_AREAS + (long) CAP_SPARSE_AREA_SIZE * n > b.limit()) {
                    throw new ErrnoException(Errno.EINVAL, "sparse mmap capability with " + n + " areas overruns");
                }
                java.util.List<VfioRegionInfo.Area> areas = new java.util.ArrayList<>();
                for (int a = 0; a < n; a++) {
                    int at = next + CAP_SPARSE_AREAS + CAP_SPARSE_AREA_SIZE * a;
                    areas.add(new VfioRegionInfo.Area(b.getLong(at), b.getLong(at + 8)));
                }
                caps.add(new VfioRegionInfo.SparseMmap(areas));
            } else if (id == VFIO_REGION_INFO_CAP_TYPE && next + CAP_TYPE_SIZE <= b.limit()) {
                caps.add(new VfioRegionInfo.Type(b.getInt(next + CAP_TYPE_TYPE), b.getInt(next + CAP_TYPE_SUBTYPE)));
            }
            next = b.getInt(next + 4);
        }
        return caps;
    }

    /** Checks the buffer holds {@code minsz} bytes (EFAULT) and argsz >= minsz (EINVAL). */
    private static int begin(ByteBuffer arg, int minsz, String struct) {
        if (arg == null || arg.remaining() < minsz) {
            throw new ErrnoException(Errno.EFAULT, struct + " needs " + minsz + " bytes, buffer has "
                    + (arg == null ? 0 : arg.remaining()));
        }
        arg.order(ByteOrder.LITTLE_ENDIAN);
        int base = arg.position();
        int argsz = arg.getInt(base);
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw new ErrnoException(Errno.EINVAL, struct + ".argsz " + Integer.toUnsignedString(argsz)
                    + " < minsz " + minsz);
        }
        return base;
    }

    /**
     * vfio_set_irqs_validate_and_prepare (drivers/vfio/vfio.c) followed by decoding the data:
     * checked against the device's num_irqs and the count of the addressed irq index.
     */
    static VfioIrqSet decodeIrqSet(ByteBuffer arg, FileTable files, VfioDeviceIoctls device) {
        int base = begin(arg, IRQ_SET_MINSZ, "vfio_irq_set");
        int argsz = arg.getInt(base + IRQ_SET_ARGSZ);
        int flags = arg.getInt(base + IRQ_SET_FLAGS);
        int index = arg.getInt(base + IRQ_SET_INDEX);
        int start = arg.getInt(base + IRQ_SET_START);
        int count = arg.getInt(base + IRQ_SET_COUNT);
        checkIndex(index, device.getInfo().numIrqs(), "irq");
        if (Integer.compareUnsigned(count, -1 - start) >= 0) {
            throw new ErrnoException(Errno.EINVAL, "irq start " + Integer.toUnsignedString(start) + " + count "
                    + Integer.toUnsignedString(count) + " overflows");
        }
        int unknown = flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK);
        if (unknown != 0) {
            throw new ErrnoException(Errno.EINVAL, "unknown vfio_irq_set flags 0x" + Integer.toHexString(unknown));
        }
        int action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
        if (Integer.bitCount(action) != 1) {
            throw new ErrnoException(Errno.EINVAL, "vfio_irq_set needs exactly one action, flags 0x"
                    + Integer.toHexString(flags));
        }
        int numIrqs = device.getIrqInfo(index).count();
        if (Integer.compareUnsigned(start, numIrqs) >= 0 || Long.compareUnsigned(
                Integer.toUnsignedLong(start) + Integer.toUnsignedLong(count), numIrqs) > 0) {
            throw new ErrnoException(Errno.EINVAL, "irqs " + Integer.toUnsignedString(start) + ".."
                    + (Integer.toUnsignedLong(start) + Integer.toUnsignedLong(count) - 1) + " outside index " + index
                    + " with " + numIrqs + " irq(s)");
        }
        int dataType = flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
        int elementSize = switch (dataType) {
            case VFIO_IRQ_SET_DATA_NONE -> 0;
            case VFIO_IRQ_SET_DATA_BOOL -> 1;
            case VFIO_IRQ_SET_DATA_EVENTFD -> 4;
            default -> throw new ErrnoException(Errno.EINVAL, "vfio_irq_set needs exactly one data type, flags 0x"
                    + Integer.toHexString(flags));
        };
        boolean[] bools = null;
        EventFd[] eventFds = null;
        if (elementSize != 0 && count == 0) {
            // count 0 is DATA_NONE's "disable the index"; every vfio-pci handler answers the other
            // types without a vector EINVAL (vfio_pci_set_intx_trigger wants count 1, MSI cannot
            // enable none), and no device should index an empty array
            throw new ErrnoException(Errno.EINVAL, "vfio_irq_set count 0 with data type 0x" + Integer.toHexString(dataType)
                    + " (only DATA_NONE takes no vector)");
        }
        if (elementSize != 0) {
            long dataSize = (long) count * elementSize;
            if (Integer.toUnsignedLong(argsz) - IRQ_SET_MINSZ < dataSize) {
                throw new ErrnoException(Errno.EINVAL, "vfio_irq_set.argsz " + Integer.toUnsignedString(argsz)
                        + " too small for " + count + " data element(s) of " + elementSize + " byte(s)");
            }
            if (arg.remaining() - IRQ_SET_MINSZ < dataSize) {
                throw new ErrnoException(Errno.EFAULT, "vfio_irq_set data needs " + dataSize
                        + " bytes, buffer has " + (arg.remaining() - IRQ_SET_MINSZ));
            }
            if (elementSize == 1) {
                bools = new boolean[count];
                for (int i = 0; i < count; i++) {
                    bools[i] = arg.get(base + IRQ_SET_DATA + i) != 0;
                }
            } else {
                eventFds = new EventFd[count];
                for (int i = 0; i < count; i++) {
                    int fd = arg.getInt(base + IRQ_SET_DATA + 4 * i);
                    if (fd < -1) {
                        throw new ErrnoException(Errno.EINVAL, "eventfd " + fd + " is neither an fd nor -1");
                    }
                    eventFds[i] = fd == -1 ? null : files.eventFd(fd);
                }
            }
        }
        return new VfioIrqSet(flags, index, start, count, bools, eventFds);
    }

    // ---- user side ----------------------------------------------------------------------

    public static VfioDeviceInfo getInfo(VfioDeviceFile file) {
        ByteBuffer b = struct(DEVICE_INFO_MINSZ);
        file.ioctl(VFIO_DEVICE_GET_INFO, b);
        return new VfioDeviceInfo(b.getInt(DEVICE_INFO_FLAGS), b.getInt(DEVICE_INFO_NUM_REGIONS),
                b.getInt(DEVICE_INFO_NUM_IRQS));
    }

    /** GET_REGION_INFO as QEMU does it: again with a larger argsz when the caps did not fit. */
    public static VfioRegionInfo getRegionInfo(VfioDeviceFile file, int index) {
        ByteBuffer b = struct(REGION_INFO_MINSZ);
        b.putInt(REGION_INFO_INDEX, index);
        file.ioctl(VFIO_DEVICE_GET_REGION_INFO, b);
        int needed = b.getInt(REGION_INFO_ARGSZ);
        if (needed > REGION_INFO_MINSZ) {
            b = struct(needed);
            b.putInt(REGION_INFO_INDEX, index);
            file.ioctl(VFIO_DEVICE_GET_REGION_INFO, b);
        }
        int flags = b.getInt(REGION_INFO_FLAGS);
        return new VfioRegionInfo(index, flags, b.getLong(REGION_INFO_SIZE), b.getLong(REGION_INFO_OFFSET),
                (flags & VFIO_REGION_INFO_FLAG_CAPS) != 0 ? decodeCaps(b) : java.util.List.of());
    }

    public static VfioIrqInfo getIrqInfo(VfioDeviceFile file, int index) {
        ByteBuffer b = struct(IRQ_INFO_MINSZ);
        b.putInt(IRQ_INFO_INDEX, index);
        file.ioctl(VFIO_DEVICE_GET_IRQ_INFO, b);
        return new VfioIrqInfo(index, b.getInt(IRQ_INFO_FLAGS), b.getInt(IRQ_INFO_COUNT));
    }

    /** Encodes {@code set} as a vfio_irq_set; eventfds get numbers in the file's table. */
    public static void setIrqs(VfioDeviceFile file, VfioIrqSet set) {
        int elementSize = switch (set.dataType()) {
            case VFIO_IRQ_SET_DATA_BOOL -> 1;
            case VFIO_IRQ_SET_DATA_EVENTFD -> 4;
            default -> 0;
        };
        ByteBuffer b = struct(IRQ_SET_MINSZ + elementSize * set.count());
        b.putInt(IRQ_SET_FLAGS, set.flags());
        b.putInt(IRQ_SET_INDEX, set.index());
        b.putInt(IRQ_SET_START, set.start());
        b.putInt(IRQ_SET_COUNT, set.count());
        for (int i = 0; i < set.count() && elementSize != 0; i++) {
            if (elementSize == 1) {
                b.put(IRQ_SET_DATA + i, (byte) (set.bools()[i] ? 1 : 0));
            } else {
                EventFd e = set.eventFds()[i];
                b.putInt(IRQ_SET_DATA + 4 * i, e == null ? -1 : file.files().numberOf(e));
            }
        }
        file.ioctl(VFIO_DEVICE_SET_IRQS, b);
    }

    public static void reset(VfioDeviceFile file) {
        file.ioctl(VFIO_DEVICE_RESET, null);
    }

    /** A zeroed struct of {@code size} bytes with argsz set. */
    private static ByteBuffer struct(int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, size);
        return b;
    }
}
