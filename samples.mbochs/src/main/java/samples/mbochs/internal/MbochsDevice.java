package samples.mbochs.internal;

import static vfio.core.Vfio.*;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.GfxDmabuf;
import vfio.core.PciConfig;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioGfxIoctls;
import vfio.core.VfioGfxPlaneInfo;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioPciDeviceOps;
import vfio.core.VfioRegionInfo;
import vfio.core.VfioRegions;
import vfio.core.VideoMemory;

/**
 * One mbochs device (samples/vfio-mdev/mbochs.c): what QEMU's bochs-display is, as Linux's
 * {@code bochs} DRM driver drives it. BAR0 is video memory (mmap-able: a file another process
 * maps), BAR2 the MMIO bar with the EDID block at 0x000 and the bochs dispi registers at 0x500
 * (16-bit, index * 2); region 9 is the EDID region ({@code struct vfio_region_gfx_edid} at 0,
 * the blob at 0x800). The primary plane is offered as dma-bufs, one per display mode seen.
 *
 * <p>Every entry point holds the device's monitor (the vendor lock).
 */
final class MbochsDevice extends VfioPciDeviceOps implements VfioGfxIoctls {
    static final int MMIO_SIZE = 0x1000;
    static final int EDID_REGION = VFIO_PCI_NUM_REGIONS;          // 9
    static final int NUM_REGIONS = EDID_REGION + 1;
    static final int EDID_REGION_SIZE = 0x1000;
    static final int EDID_BLOB_OFFSET = EDID_REGION_SIZE / 2;
    static final int EDID_MAX_SIZE = 0x400;

    /** struct vfio_region_gfx_edid: u32 edid_offset, edid_max_size, edid_size, max_xres, max_yres, link_state. */
    static final int EDID_OFFSET = 0, EDID_MAX = 4, EDID_SIZE = 8, MAX_XRES = 12, MAX_YRES = 16, LINK_STATE = 20;
    static final int EDID_REGS_SIZE = 24;

    /** Bochs dispi interface (VBE) registers. */
    static final int VBE_ID = 0, VBE_XRES = 1, VBE_YRES = 2, VBE_BPP = 3, VBE_ENABLE = 4, VBE_BANK = 5;
    static final int VBE_VIRT_WIDTH = 6, VBE_VIRT_HEIGHT = 7, VBE_X_OFFSET = 8, VBE_Y_OFFSET = 9;
    static final int VBE_VIDEO_MEMORY_64K = 10, VBE_COUNT = 11;
    static final int VBE_DISPI_ID5 = 0xb0c5;
    static final int VBE_DISPI_ENABLED = 0x01;
    static final int DISPI = 0x500;
    private static final int PAGE = 4096;

    private final UUID uuid;
    private final MbochsType type;
    private final long memsize;
    private final VideoMemory video;
    private final ByteBuffer memory;
    private final PciConfig config;
    private final int[] vbe = new int[VBE_COUNT];
    private final ByteBuffer edidRegs = ByteBuffer.allocate(EDID_REGS_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final byte[] edidBlob = new byte[EDID_MAX_SIZE];
    /** dma-bufs made so far: one per mode (the kernel's dmabufs list); ids from 1. */
    private final List<Dmabuf> dmabufs = new ArrayList<>();
    private int nextId = 1;
    private int activeId;

    /** struct mbochs_mode: what a dma-buf shows. */
    record Mode(int width, int height, int stride, long offset, long size) {
    }

    private record Dmabuf(int id, Mode mode) {
    }

    MbochsDevice(UUID uuid, MbochsType type, int width, int height) {
        this.uuid = uuid;
        this.type = type;
        this.memsize = (long) type.mbytes() << 20;
        this.video = VideoMemory.allocate((int) memsize);
        this.memory = video.buffer();
        this.config = new PciConfig(0x1234, 0x1111, PciConfig.COMMAND_IO | PciConfig.COMMAND_MEMORY)
                .put16(PciConfig.COMMAND, PciConfig.COMMAND_IO | PciConfig.COMMAND_MEMORY)
                .classCode(0x038000, 0x01)                      // display, other
                .subsystem(0x1af4, 0x1100)
                .memoryBar32(0, memsize, PciConfig.BAR_PREFETCH)
                .memoryBar32(2, MMIO_SIZE, 0)
                .seal();
        edidRegs.putInt(EDID_OFFSET, EDID_BLOB_OFFSET).putInt(EDID_MAX, EDID_MAX_SIZE)
                .putInt(MAX_XRES, type.maxX()).putInt(MAX_YRES, type.maxY());
        setResolution(width, height);
        resetVbe();
    }

    MbochsType type() {
        return type;
    }

    /** What the monitor says: a generated EDID of {@code width x height}, link up. */
    synchronized void setResolution(int width, int height) {
        byte[] edid = Edid.of(width, height);
        java.util.Arrays.fill(edidBlob, (byte) 0);
        System.arraycopy(edid, 0, edidBlob, 0, edid.length);
        edidRegs.putInt(EDID_SIZE, edid.length).putInt(LINK_STATE, VFIO_DEVICE_GFX_LINK_STATE_UP);
    }

    synchronized int[] resolution() {
        return Edid.preferredMode(edidBlob);
    }

    private void resetVbe() {
        java.util.Arrays.fill(vbe, 0);
        vbe[VBE_ID] = VBE_DISPI_ID5;
        vbe[VBE_VIDEO_MEMORY_64K] = (int) (memsize / (64 * 1024));
    }

    @Override
    protected void onRemoved() {
        dmabufs.clear();
        video.close();
    }

    @Override
    protected String describe() {
        return "mbochs device " + uuid;
    }

    // ---- regions ------------------------------------------------------------------------

    @Override
    protected long regionSize(int index) {
        return switch (index) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> PciConfig.SIZE;
            case VFIO_PCI_BAR0_REGION_INDEX -> memsize;
            case VFIO_PCI_BAR2_REGION_INDEX -> MMIO_SIZE;
            case EDID_REGION -> EDID_REGION_SIZE;
            default -> 0;
        };
    }

    @Override
    public VfioDeviceInfo getInfo() {
        return new VfioDeviceInfo(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, NUM_REGIONS, VFIO_PCI_NUM_IRQS);
    }

    @Override
    public synchronized VfioRegionInfo getRegionInfo(int index) {
        checkAlive();
        int rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        long position = VfioRegions.position(index, 0);
        if (index == VFIO_PCI_BAR0_REGION_INDEX) {
            return new VfioRegionInfo(index, rw | VFIO_REGION_INFO_FLAG_MMAP, memsize, position);
        }
        if (index == EDID_REGION) {
            return new VfioRegionInfo(index, rw, EDID_REGION_SIZE, position,
                    List.of(new VfioRegionInfo.Type(VFIO_REGION_TYPE_GFX, VFIO_REGION_SUBTYPE_GFX_EDID)));
        }
        return new VfioRegionInfo(index, rw, regionSize(index), position);
    }

    @Override
    public synchronized int read(ByteBuffer dst, long pos) {
        int count = dst.remaining();
        int offset = checkAccess(pos, count);
        switch (VfioRegions.index(pos)) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> config.read(dst, offset);
            case VFIO_PCI_BAR0_REGION_INDEX -> video.read(dst, offset);
            case VFIO_PCI_BAR2_REGION_INDEX -> readMmio(dst, offset, count);
            default -> readEdidRegion(dst, offset, count);
        }
        return count;
    }

    @Override
    public synchronized int write(ByteBuffer src, long pos) {
        int count = src.remaining();
        int offset = checkAccess(pos, count);
        switch (VfioRegions.index(pos)) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> config.write(src, offset);
            case VFIO_PCI_BAR0_REGION_INDEX -> video.write(src, offset);
            case VFIO_PCI_BAR2_REGION_INDEX -> writeMmio(src, offset, count);
            default -> writeEdidRegion(src, offset, count);
        }
        src.position(src.limit());
        return count;
    }

    /** 0x000-0x3ff: the EDID block while the link is up; 0x500-0x515: dispi registers (16-bit); the rest reads 0. */
    private void readMmio(ByteBuffer dst, int offset, int count) {
        ByteBuffer out = dst.slice(dst.position(), count).order(ByteOrder.LITTLE_ENDIAN);
        if (offset + count <= 0x400) {
            boolean up = edidRegs.getInt(LINK_STATE) == VFIO_DEVICE_GFX_LINK_STATE_UP;
            int size = edidRegs.getInt(EDID_SIZE);
            for (int i = 0; i < count; i++) {
                out.put(i, up && offset + i < size ? edidBlob[offset + i] : 0);
            }
        } else if (offset >= DISPI && offset < DISPI + 2 * VBE_COUNT && count == 2 && offset % 2 == 0) {
            out.putShort(0, (short) vbe[(offset - DISPI) / 2]);
        } else {
            for (int i = 0; i < count; i++) {
                out.put(i, (byte) 0);
            }
        }
        dst.position(dst.position() + count);
    }

    /** Only the dispi registers take writes (16-bit); the VGA ports and QEMU's extended registers are ignored. */
    private void writeMmio(ByteBuffer src, int offset, int count) {
        if (offset >= DISPI && offset < DISPI + 2 * VBE_COUNT && count == 2 && offset % 2 == 0) {
            int index = (offset - DISPI) / 2;
            if (index != VBE_ID && index != VBE_VIDEO_MEMORY_64K) {
                vbe[index] = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).getShort(src.position()) & 0xffff;
            }
        }
    }

    /** The registers: aligned dwords; only link_state and edid_size are written (a size past the blob: EINVAL). */
    private void readEdidRegion(ByteBuffer dst, int offset, int count) {
        if (offset < EDID_BLOB_OFFSET) {
            if (count != 4 || offset % 4 != 0 || offset + 4 > EDID_REGS_SIZE) {
                throw new ErrnoException(Errno.EINVAL, "EDID registers are read as aligned dwords, not " + count
                        + " byte(s) at 0x" + Integer.toHexString(offset));
            }
            dst.put(edidRegs.array(), offset, 4);
            return;
        }
        int at = offset - EDID_BLOB_OFFSET;
        if (at + count > EDID_MAX_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "EDID blob read past its " + EDID_MAX_SIZE + " bytes");
        }
        dst.put(edidBlob, at, count);
    }

    private void writeEdidRegion(ByteBuffer src, int offset, int count) {
        if (offset < EDID_BLOB_OFFSET) {
            if (count != 4 || offset % 4 != 0 || offset + 4 > EDID_REGS_SIZE) {
                throw new ErrnoException(Errno.EINVAL, "EDID registers are written as aligned dwords, not " + count
                        + " byte(s) at 0x" + Integer.toHexString(offset));
            }
            int value = src.duplicate().order(ByteOrder.LITTLE_ENDIAN).getInt(src.position());
            if (offset == LINK_STATE) {
                if (value != VFIO_DEVICE_GFX_LINK_STATE_UP && value != VFIO_DEVICE_GFX_LINK_STATE_DOWN) {
                    throw new ErrnoException(Errno.EINVAL, "link_state " + value + " is neither UP (1) nor DOWN (2)");
                }
                edidRegs.putInt(LINK_STATE, value);
            } else if (offset == EDID_SIZE) {
                if (Integer.compareUnsigned(value, EDID_MAX_SIZE) > 0) {
                    throw new ErrnoException(Errno.EINVAL, "edid_size " + Integer.toUnsignedString(value)
                            + " is past edid_max_size " + EDID_MAX_SIZE);
                }
                edidRegs.putInt(EDID_SIZE, value);
            }
            return;   // edid_offset, edid_max_size, max_xres, max_yres are read-only
        }
        int at = offset - EDID_BLOB_OFFSET;
        if (at + count > EDID_MAX_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "EDID blob write past its " + EDID_MAX_SIZE + " bytes");
        }
        src.duplicate().get(edidBlob, at, count);
    }

    @Override
    public synchronized ByteBuffer mmap(long pos, long length) {
        checkAlive();
        if (VfioRegions.index(pos) != VFIO_PCI_BAR0_REGION_INDEX) {
            throw new ErrnoException(Errno.EINVAL, "only video memory (BAR0) maps, not region " + VfioRegions.index(pos));
        }
        return video.map(VfioRegions.offset(pos), length);
    }

    @Override
    public synchronized Optional<FileDescriptor> regionFile(int index) {
        checkAlive();
        return index == VFIO_PCI_BAR0_REGION_INDEX ? video.file() : Optional.empty();
    }

    // ---- display ------------------------------------------------------------------------

    /** mbochs_check_framebuffer: the mode the dispi registers describe, or null when there is none to show. */
    synchronized Mode mode() {
        if ((vbe[VBE_ENABLE] & VBE_DISPI_ENABLED) == 0 || vbe[VBE_BPP] != 32) {
            return null;
        }
        int width = vbe[VBE_XRES];
        int height = vbe[VBE_YRES];
        int stride = Math.max(vbe[VBE_VIRT_WIDTH], width) * 4;
        long offset = (long) vbe[VBE_X_OFFSET] * 4 + (long) vbe[VBE_Y_OFFSET] * stride;
        long size = (long) stride * height;
        if (width < 64 || height < 64 || offset + size > memsize) {
            return null;
        }
        return new Mode(width, height, stride, offset, size);
    }

    @Override
    public synchronized VfioGfxPlaneInfo queryGfxPlane(int flags, int drmPlaneType) {
        checkAlive();
        if ((flags & VFIO_GFX_PLANE_TYPE_PROBE) != 0) {
            if (flags == (VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF)) {
                return null;
            }
            throw new ErrnoException(Errno.EINVAL, "mbochs planes are dma-bufs, not regions");
        }
        if (flags != VFIO_GFX_PLANE_TYPE_DMABUF) {
            throw new ErrnoException(Errno.EINVAL, "mbochs planes are dma-bufs, not regions");
        }
        Mode mode = drmPlaneType == DRM_PLANE_TYPE_PRIMARY ? mode() : null;
        if (mode == null) {
            if (drmPlaneType == DRM_PLANE_TYPE_PRIMARY) {
                activeId = 0;
            }
            return VfioGfxPlaneInfo.disabled(flags, drmPlaneType);
        }
        Dmabuf dmabuf = null;
        for (Dmabuf d : dmabufs) {
            if (d.mode().equals(mode)) {
                dmabuf = d;
            }
        }
        if (dmabuf == null) {
            dmabuf = new Dmabuf(nextId++, mode);     // mbochs.c dropped this result; the first query failed
            dmabufs.add(dmabuf);
        }
        activeId = dmabuf.id();
        return new VfioGfxPlaneInfo(flags, drmPlaneType, DRM_FORMAT_XRGB8888, 0, mode.width(), mode.height(),
                mode.stride(), (int) mode.size(), 0, 0, -1, -1, dmabuf.id());
    }

    @Override
    public synchronized GfxDmabuf getGfxDmabuf(int dmabufId) {
        checkAlive();
        for (Dmabuf d : dmabufs) {
            if (d.id() == dmabufId) {
                Mode m = d.mode();
                if (m.offset() % PAGE != 0) {
                    throw new ErrnoException(Errno.EINVAL, "framebuffer at 0x" + Long.toHexString(m.offset())
                            + " is not page-aligned: no dma-buf");
                }
                return new GfxDmabuf(d.id(), DRM_FORMAT_XRGB8888, m.width(), m.height(), m.stride(),
                        memory.slice((int) m.offset(), (int) m.size()), video.file(), m.offset());
            }
        }
        throw new ErrnoException(Errno.ENOENT, "mbochs device " + uuid + " has no dma-buf " + dmabufId);
    }

    /** The dma-buf the primary plane showed at the last query, 0 for none. */
    synchronized int activeId() {
        return activeId;
    }

    // ---- irqs and reset -------------------------------------------------------------------

    @Override
    public VfioIrqInfo getIrqInfo(int index) {
        return noIrqInfo(index);
    }

    @Override
    public void setIrqs(VfioIrqSet set) {
        refuseIrqs(set);
    }

    /** VFIO_DEVICE_RESET: the dispi registers and config space to their power-on state; memory and EDID stay. */
    @Override
    public synchronized void reset() {
        checkAlive();
        resetVbe();
        config.reset();
    }
}
