package vendor.gvt.internal;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioDeviceIoctls;
import vfio.core.VfioDeviceOps;
import vfio.core.VfioIoctlCodec;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegionInfo;
import vfio.core.SharedMemory;
import vfio.core.VfioRegions;

/**
 * One vGPU as kvmgt.c shows it through VFIO (seed 001's intel_vfio_vgpu_dev_ops): PCI config
 * space with the GPU's ids and sizable 64-bit BARs, BAR0 MMIO with the PVINFO page
 * (i915_pvinfo.h) and a register file, BAR2 the aperture of which only the vGPU's slice can be
 * read, written or mmapped. Memory BARs answer all ones and drop writes while the command
 * register's memory bit is clear. Every entry point holds the device's monitor.
 */
final class VgpuDevice implements VfioDeviceOps, VfioDeviceIoctls {
    static final int CONFIG_SIZE = 256;
    static final long MMIO_SIZE = 16L << 20;
    static final int VGT_PVINFO_PAGE = 0x78000;
    static final int VGT_PVINFO_SIZE = 0x1000;
    static final long VGT_MAGIC = 0x4776544776544776L;
    static final int VGT_CAPS_FULL_PPGTT = 1 << 2;
    static final int VGT_CAPS_HWSP_EMULATION = 1 << 3;
    static final int VGT_CAPS_HUGE_GTT = 1 << 4;
    /** struct vgt_if offsets. */
    static final int PV_MAGIC = 0x0;
    static final int PV_VERSION_MAJOR = 0x8;
    static final int PV_VERSION_MINOR = 0xa;
    static final int PV_VGT_ID = 0xc;
    static final int PV_VGT_CAPS = 0x10;
    static final int PV_MAPPABLE_BASE = 0x40;
    static final int PV_MAPPABLE_SIZE = 0x44;
    static final int PV_NONMAPPABLE_BASE = 0x48;
    static final int PV_NONMAPPABLE_SIZE = 0x4c;
    static final int PV_FENCE_NUM = 0x50;
    static final int PV_DISPLAY_READY = 0x804;
    /** The guest's half of the page (display_ready, g2v_notify, cursor, pdp, ...) takes writes. */
    static final int PV_GUEST_HALF = 0x800;
    /** FENCE_REG_GEN6_LO(i): 64-bit fence registers. */
    static final int FENCE_REG_BASE = 0x100000;

    static final int PCI_COMMAND = 0x04;
    static final int PCI_COMMAND_MEMORY = 0x2;
    static final int PCI_COMMAND_IO = 0x1;
    static final int PCI_COMMAND_MASTER = 0x4;
    static final int PCI_COMMAND_INTX_DISABLE = 0x400;
    static final int BAR0 = 0x10;
    static final int BAR2 = 0x18;
    /** 64-bit memory BAR, and prefetchable for the aperture. */
    static final int BAR_MEM64 = 0x4;
    static final int BAR_PREFETCH = 0x8;

    private final int id;
    private final GvtGpuComponent gpu;
    final VgpuType type;
    final long lowBase;
    final long highBase;
    final int fenceBase;
    private final byte[] config = new byte[CONFIG_SIZE];
    private final ByteBuffer pvinfo = ByteBuffer.allocate(VGT_PVINFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final Map<Integer, Integer> registers = new HashMap<>();
    private ByteBuffer aperture;
    /** The file behind the aperture slice (so other processes can map it), or null. */
    private SharedMemory apertureFile;
    private boolean removed;
    private int openCount;
    private EventFd intx;
    private EventFd msi;

    VgpuDevice(int id, GvtGpuComponent gpu, VgpuType type, long lowBase, long highBase, int fenceBase) {
        this.id = id;
        this.gpu = gpu;
        this.type = type;
        this.lowBase = lowBase;
        this.highBase = highBase;
        this.fenceBase = fenceBase;
        powerOn();
    }

    int id() {
        return id;
    }

    /** intel_vgpu_init_cfg_space and populate_pvinfo_page. */
    private void powerOn() {
        ByteBuffer c = ByteBuffer.wrap(config).order(ByteOrder.LITTLE_ENDIAN);
        java.util.Arrays.fill(config, (byte) 0);
        c.putShort(0x00, (short) 0x8086).putShort(0x02, (short) gpu.deviceId());
        c.putShort(PCI_COMMAND, (short) 0);
        c.put(0x08, (byte) 0x07);                      // revision
        c.put(0x0b, (byte) 0x03);                      // class: display controller (VGA compatible)
        c.putInt(BAR0, BAR_MEM64);
        c.putInt(BAR2, BAR_MEM64 | BAR_PREFETCH);
        c.putShort(0x2c, (short) 0x8086).putShort(0x2e, (short) gpu.deviceId());
        c.put(0x3d, (byte) 1);                         // INTA#
        pvinfo.clear();
        java.util.Arrays.fill(pvinfo.array(), (byte) 0);
        pvinfo.putLong(PV_MAGIC, VGT_MAGIC);
        pvinfo.putShort(PV_VERSION_MAJOR, (short) 1).putShort(PV_VERSION_MINOR, (short) 0);
        pvinfo.putInt(PV_VGT_ID, id);
        pvinfo.putInt(PV_VGT_CAPS, VGT_CAPS_FULL_PPGTT | VGT_CAPS_HWSP_EMULATION | VGT_CAPS_HUGE_GTT);
        pvinfo.putInt(PV_MAPPABLE_BASE, (int) lowBase).putInt(PV_MAPPABLE_SIZE, (int) type.lowGm());
        pvinfo.putInt(PV_NONMAPPABLE_BASE, (int) highBase).putInt(PV_NONMAPPABLE_SIZE, (int) type.highGm());
        pvinfo.putInt(PV_FENCE_NUM, type.fences());
        registers.clear();
    }

    synchronized void markRemoved() {
        removed = true;
        intx = msi = null;
        if (apertureFile != null) {
            apertureFile.close();
        }
    }

    private void checkAlive() {
        if (removed) {
            throw new ErrnoException(Errno.ENODEV, "vGPU " + id + " has been removed");
        }
    }

    @Override
    public synchronized void open() {
        checkAlive();
        openCount++;
    }

    @Override
    public synchronized void release() {
        if (openCount > 0 && --openCount == 0) {
            intx = msi = null;
        }
    }

    private long regionSize(int index) {
        return switch (index) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> CONFIG_SIZE;
            case VFIO_PCI_BAR0_REGION_INDEX -> MMIO_SIZE;
            case VFIO_PCI_BAR2_REGION_INDEX -> gpu.apertureSize();
            default -> 0;
        };
    }

    private int checkAccess(long pos, int count) {
        checkAlive();
        int index = VfioRegions.index(pos);
        long offset = VfioRegions.offset(pos);
        long size = regionSize(index);
        if (size == 0 || count == 0 || offset + count > size) {
            throw new ErrnoException(Errno.EINVAL, "access of " + count + " byte(s) at 0x" + Long.toHexString(offset)
                    + " outside region " + index + " (size 0x" + Long.toHexString(size) + ")");
        }
        return index;
    }

    private boolean memoryDecoding() {
        return (config[PCI_COMMAND] & PCI_COMMAND_MEMORY) != 0;
    }

    @Override
    public synchronized int read(ByteBuffer dst, long pos) {
        int count = dst.remaining();
        int index = checkAccess(pos, count);
        long offset = VfioRegions.offset(pos);
        if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
            dst.put(config, (int) offset, count);
            return count;
        }
        if (index == VFIO_PCI_BAR2_REGION_INDEX) {
            ByteBuffer slice = apertureSlice(offset, count);
            if (!memoryDecoding()) {
                return allOnes(dst, count);
            }
            dst.put(dst.position(), slice, (int) (offset - lowBase), count);
            dst.position(dst.position() + count);
            return count;
        }
        checkMmioAccess(offset, count);
        if (!memoryDecoding()) {
            return allOnes(dst, count);
        }
        for (int done = 0; done < count; done += 4) {
            int value = readRegister((int) offset + done);
            for (int b = 0; b < 4; b++) {
                dst.put((byte) (value >>> (8 * b)));
            }
        }
        return count;
    }

    private static int allOnes(ByteBuffer dst, int count) {
        for (int i = 0; i < count; i++) {
            dst.put((byte) 0xff);
        }
        return count;
    }

    @Override
    public synchronized int write(ByteBuffer src, long pos) {
        int count = src.remaining();
        int index = checkAccess(pos, count);
        long offset = VfioRegions.offset(pos);
        if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
            writeConfig((int) offset, src, count);
            return count;
        }
        if (index == VFIO_PCI_BAR2_REGION_INDEX) {
            ByteBuffer slice = apertureSlice(offset, count);
            if (memoryDecoding()) {
                slice.put((int) (offset - lowBase), src, src.position(), count);
            }
            src.position(src.position() + count);
            return count;
        }
        checkMmioAccess(offset, count);
        for (int done = 0; done < count; done += 4) {
            int value = 0;
            for (int b = 0; b < 4; b++) {
                value |= (src.get() & 0xff) << (8 * b);
            }
            if (memoryDecoding()) {
                writeRegister((int) offset + done, value);
            }
        }
        return count;
    }

    /** MMIO is reached in aligned dwords and qwords, as the i915 driver reaches it. */
    private static void checkMmioAccess(long offset, int count) {
        if ((count != 4 && count != 8) || offset % count != 0) {
            throw new ErrnoException(Errno.EINVAL, "MMIO access of " + count + " byte(s) at 0x" + Long.toHexString(offset)
                    + ": only aligned dwords and qwords");
        }
    }

    private int readRegister(int offset) {
        if (offset >= VGT_PVINFO_PAGE && offset < VGT_PVINFO_PAGE + VGT_PVINFO_SIZE) {
            return pvinfo.getInt(offset - VGT_PVINFO_PAGE);
        }
        return registers.getOrDefault(offset, 0);
    }

    private void writeRegister(int offset, int value) {
        if (offset >= VGT_PVINFO_PAGE && offset < VGT_PVINFO_PAGE + VGT_PVINFO_SIZE) {
            // The top half is the host's word to the guest; the guest writes only its half.
            if (offset - VGT_PVINFO_PAGE >= PV_GUEST_HALF) {
                pvinfo.putInt(offset - VGT_PVINFO_PAGE, value);
            }
            return;
        }
        if (offset >= FENCE_REG_BASE && offset < FENCE_REG_BASE + 8 * 32
                && (offset - FENCE_REG_BASE) / 8 >= type.fences()) {
            return;     // fences beyond the vGPU's are not its to program
        }
        registers.put(offset, value);
    }

    /** The vGPU's own part of the aperture; EINVAL outside it (kvmgt's intel_vgpu_aperture_rw). */
    private ByteBuffer apertureSlice(long offset, long count) {
        if (offset < lowBase || offset + count > lowBase + type.lowGm()) {
            throw new ErrnoException(Errno.EINVAL, "aperture offset 0x" + Long.toHexString(offset)
                    + " is outside the vGPU's slice 0x" + Long.toHexString(lowBase) + "+0x" + Long.toHexString(type.lowGm()));
        }
        return aperture();
    }

    /**
     * The slice's memory, made on first use: a window of a file as large as BAR2 (so a mapping
     * of the file at a BAR2 offset sees those bytes), or heap memory if no such file can be made.
     */
    private ByteBuffer aperture() {
        if (aperture == null) {
            try {
                apertureFile = SharedMemory.allocate(gpu.apertureSize(), lowBase, type.lowGm());
                aperture = apertureFile.window();
            } catch (ErrnoException noFile) {
                aperture = ByteBuffer.allocate((int) type.lowGm());
            }
        }
        return aperture;
    }

    /** BAR2's file: what a vfio-user client maps for the sparse mmap area. */
    @Override
    public synchronized java.util.Optional<java.io.FileDescriptor> regionFile(int index) {
        checkAlive();
        if (index != VFIO_PCI_BAR2_REGION_INDEX) {
            return java.util.Optional.empty();
        }
        aperture();
        return java.util.Optional.ofNullable(apertureFile).map(SharedMemory::fd);
    }

    private void writeConfig(int offset, ByteBuffer src, int count) {
        ByteBuffer c = ByteBuffer.wrap(config).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            int at = offset + i;
            byte value = src.get();
            if (at >= PCI_COMMAND && at < PCI_COMMAND + 2) {
                int mask = at == PCI_COMMAND ? PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER
                        : PCI_COMMAND_INTX_DISABLE >> 8;
                config[at] = (byte) ((config[at] & ~mask) | (value & mask));
            } else if (at >= BAR0 && at < BAR0 + 16) {
                config[at] = value;
            } else if (at == 0x3c) {
                config[at] = value;
            }
        }
        // BAR sizing: a BAR's dwords keep only the bits its size allows.
        sizeBar(c, BAR0, MMIO_SIZE, BAR_MEM64);
        sizeBar(c, BAR2, gpu.apertureSize(), BAR_MEM64 | BAR_PREFETCH);
    }

    private static void sizeBar(ByteBuffer c, int bar, long size, int typeBits) {
        long value = (c.getInt(bar) & 0xffffffffL) | ((long) c.getInt(bar + 4) << 32);
        value = (value & ~(size - 1)) | typeBits;
        c.putInt(bar, (int) value);
        c.putInt(bar + 4, (int) (value >>> 32));
    }

    @Override
    public synchronized ByteBuffer mmap(long pos, long length) {
        checkAlive();
        if (VfioRegions.index(pos) != VFIO_PCI_BAR2_REGION_INDEX) {
            throw new ErrnoException(Errno.EINVAL, "only the aperture (BAR2) can be mmapped");
        }
        long offset = VfioRegions.offset(pos);
        if (length <= 0 || offset % GmAllocator.PAGE != 0) {
            throw new ErrnoException(Errno.EINVAL, "mmap of " + length + " bytes at 0x" + Long.toHexString(offset));
        }
        ByteBuffer slice = apertureSlice(offset, length);
        return slice.slice((int) (offset - lowBase), (int) length);
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg, FileTable files) {
        synchronized (this) {
            checkAlive();
        }
        return VfioIoctlCodec.dispatch(cmd, arg, files, this);
    }

    @Override
    public VfioDeviceInfo getInfo() {
        return new VfioDeviceInfo(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, VFIO_PCI_NUM_REGIONS, VFIO_PCI_NUM_IRQS);
    }

    @Override
    public synchronized VfioRegionInfo getRegionInfo(int index) {
        checkAlive();
        int flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        if (index == VFIO_PCI_BAR2_REGION_INDEX) {
            flags |= VFIO_REGION_INFO_FLAG_MMAP;
        }
        long size = regionSize(index);
        if (index == VFIO_PCI_BAR2_REGION_INDEX) {
            // Only the vGPU's slice of the aperture can be mmapped (kvmgt's sparse mmap cap).
            return new VfioRegionInfo(index, flags, size, VfioRegions.position(index, 0), java.util.List.of(
                    new VfioRegionInfo.SparseMmap(java.util.List.of(new VfioRegionInfo.Area(lowBase, type.lowGm())))));
        }
        return new VfioRegionInfo(index, size == 0 ? 0 : flags, size, VfioRegions.position(index, 0));
    }

    @Override
    public VfioIrqInfo getIrqInfo(int index) {
        return switch (index) {
            case VFIO_PCI_INTX_IRQ_INDEX -> new VfioIrqInfo(index,
                    VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED, 1);
            case VFIO_PCI_MSI_IRQ_INDEX -> new VfioIrqInfo(index, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 1);
            default -> throw new ErrnoException(Errno.EINVAL, "the vGPU has no irq index " + index);
        };
    }

    @Override
    public synchronized void setIrqs(VfioIrqSet set) {
        checkAlive();
        if (set.action() != VFIO_IRQ_SET_ACTION_TRIGGER) {
            return;     // mask and unmask: no interrupt source is modelled yet
        }
        EventFd trigger = set.dataType() == VFIO_IRQ_SET_DATA_EVENTFD ? set.eventFds()[0] : null;
        if (set.index() == VFIO_PCI_INTX_IRQ_INDEX) {
            intx = trigger;
        } else {
            msi = trigger;
        }
    }

    @Override
    public synchronized void reset() {
        checkAlive();
        powerOn();
        if (aperture != null) {
            clear(aperture);
        }
    }

    private static final byte[] ZEROS = new byte[4096];

    /** Zeroes a buffer that may have no array (the aperture is a window of a mapped file). */
    private static void clear(ByteBuffer memory) {
        for (int at = 0; at < memory.capacity(); at += ZEROS.length) {
            memory.put(at, ZEROS, 0, Math.min(ZEROS.length, memory.capacity() - at));
        }
    }
}
