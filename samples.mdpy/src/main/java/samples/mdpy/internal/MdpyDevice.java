package samples.mdpy.internal;

import static vfio.core.Vfio.*;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.PciConfig;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioGfxIoctls;
import vfio.core.GfxDmabuf;
import vfio.core.VfioGfxPlaneInfo;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioPciDeviceOps;
import vfio.core.VfioRegionInfo;
import vfio.core.VfioRegions;
import vfio.core.VideoMemory;

/**
 * One mdpy device (samples/vfio-mdev/mdpy.c, mdpy-defs.h): a PCI display whose framebuffer is
 * BAR0 (mmap-able) and whose format and size are read-only dwords of a vendor capability at 0x40
 * of config space. Its plane is a region: QUERY_GFX_PLANE names BAR0. Reset paints the gray
 * gradient of the sample. Every entry point holds the device's monitor.
 */
final class MdpyDevice extends VfioPciDeviceOps implements VfioGfxIoctls {
    static final int VENDOR_ID = 0x1b36;      // Red Hat
    static final int DEVICE_ID = 0x000f;
    static final int VENDORCAP = 0x40;
    static final int VENDORCAP_SIZE = 0x10;
    static final int FORMAT = VENDORCAP + 4, WIDTH = VENDORCAP + 8, HEIGHT = VENDORCAP + 12;

    private final UUID uuid;
    private final MdpyType type;
    private final int memsize;
    private final VideoMemory video;
    private final ByteBuffer memory;
    private final PciConfig config;

    MdpyDevice(UUID uuid, MdpyType type) {
        this.uuid = uuid;
        this.type = type;
        this.memsize = Integer.highestOneBit(type.width() * type.height() * 4 - 1) << 1;   // roundup_pow_of_two
        this.video = VideoMemory.allocate(memsize);
        this.memory = video.buffer();
        this.config = new PciConfig(VENDOR_ID, DEVICE_ID, PciConfig.COMMAND_IO | PciConfig.COMMAND_MEMORY)
                .put16(PciConfig.COMMAND, PciConfig.COMMAND_IO | PciConfig.COMMAND_MEMORY)
                .put16(0x06, 0x0010)                             // status: capabilities list
                .classCode(0x038000, 0x01)
                .subsystem(0x1af4, 0x1100)
                .memoryBar32(0, memsize, PciConfig.BAR_PREFETCH)
                .put8(0x34, VENDORCAP)
                .put8(VENDORCAP, 0x09).put8(VENDORCAP + 1, 0).put8(VENDORCAP + 2, VENDORCAP_SIZE)
                .put32(FORMAT, DRM_FORMAT_XRGB8888).put32(WIDTH, type.width()).put32(HEIGHT, type.height())
                .seal();
        paintGradient();
    }

    MdpyType type() {
        return type;
    }

    /** mdpy_reset: each row one gray, black at the top to white at the bottom. */
    private void paintGradient() {
        int stride = type.width() * 4;
        byte[] row = new byte[stride];
        for (int y = 0; y < type.height(); y++) {
            java.util.Arrays.fill(row, (byte) (y * 255 / type.height()));
            memory.put(y * stride, row);
        }
    }

    @Override
    protected void onRemoved() {
        video.close();
    }

    @Override
    protected String describe() {
        return "mdpy device " + uuid;
    }

    @Override
    protected long regionSize(int index) {
        return switch (index) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> PciConfig.SIZE;
            case VFIO_PCI_BAR0_REGION_INDEX -> memsize;
            default -> 0;
        };
    }

    @Override
    public VfioDeviceInfo getInfo() {
        return new VfioDeviceInfo(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, VFIO_PCI_NUM_REGIONS, VFIO_PCI_NUM_IRQS);
    }

    @Override
    public synchronized VfioRegionInfo getRegionInfo(int index) {
        checkAlive();
        int flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE
                | (index == VFIO_PCI_BAR0_REGION_INDEX ? VFIO_REGION_INFO_FLAG_MMAP : 0);
        long size = regionSize(index);
        return new VfioRegionInfo(index, size == 0 ? 0 : flags, size, VfioRegions.position(index, 0));
    }

    @Override
    public synchronized int read(ByteBuffer dst, long pos) {
        int count = dst.remaining();
        int offset = checkAccess(pos, count);
        if (VfioRegions.index(pos) == VFIO_PCI_CONFIG_REGION_INDEX) {
            config.read(dst, offset);
        } else {
            video.read(dst, offset);   // at the offset asked (mdpy.c copied from the start)
        }
        return count;
    }

    @Override
    public synchronized int write(ByteBuffer src, long pos) {
        int count = src.remaining();
        int offset = checkAccess(pos, count);
        if (VfioRegions.index(pos) == VFIO_PCI_CONFIG_REGION_INDEX) {
            config.write(src, offset);
        } else {
            video.write(src, offset);
        }
        src.position(src.limit());
        return count;
    }

    @Override
    public synchronized ByteBuffer mmap(long pos, long length) {
        checkAlive();
        if (VfioRegions.index(pos) != VFIO_PCI_BAR0_REGION_INDEX) {
            throw new ErrnoException(Errno.EINVAL, "only the framebuffer (BAR0) maps, not region " + VfioRegions.index(pos));
        }
        return video.map(VfioRegions.offset(pos), length);
    }

    @Override
    public synchronized Optional<FileDescriptor> regionFile(int index) {
        checkAlive();
        return index == VFIO_PCI_BAR0_REGION_INDEX ? video.file() : Optional.empty();
    }

    /** The plane is always there: the type's mode in BAR0 (mdpy names no other region for it here). */
    @Override
    public synchronized VfioGfxPlaneInfo queryGfxPlane(int flags, int drmPlaneType) {
        checkAlive();
        if ((flags & VFIO_GFX_PLANE_TYPE_PROBE) != 0) {
            if (flags == (VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION)) {
                return null;
            }
            throw new ErrnoException(Errno.EINVAL, "mdpy planes are regions, not dma-bufs");
        }
        if (flags != VFIO_GFX_PLANE_TYPE_REGION) {
            throw new ErrnoException(Errno.EINVAL, "mdpy planes are regions, not dma-bufs");
        }
        if (drmPlaneType != DRM_PLANE_TYPE_PRIMARY) {
            return VfioGfxPlaneInfo.disabled(flags, drmPlaneType);
        }
        return new VfioGfxPlaneInfo(flags, drmPlaneType, DRM_FORMAT_XRGB8888, 0, type.width(), type.height(),
                type.width() * 4, memsize, 0, 0, -1, -1, VFIO_PCI_BAR0_REGION_INDEX);
    }

    @Override
    public GfxDmabuf getGfxDmabuf(int dmabufId) {
        throw new ErrnoException(Errno.ENOENT, "mdpy has no dma-bufs (its plane is a region)");
    }

    @Override
    public VfioIrqInfo getIrqInfo(int index) {
        return noIrqInfo(index);
    }

    @Override
    public void setIrqs(VfioIrqSet set) {
        refuseIrqs(set);
    }

    /** VFIO_DEVICE_RESET: config space and the gradient again. */
    @Override
    public synchronized void reset() {
        checkAlive();
        config.reset();
        paintGradient();
    }
}
