package virtio.pci.internal;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.PciConfig;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioPciDeviceOps;
import vfio.core.VfioRegions;
import vfio.core.VmAddressSpace;
import virtio.core.Virtio;
import virtio.core.VirtioCallback;
import virtio.core.VirtioDeviceOps;
import mdev.log.Logs;

/**
 * A virtio device as a PCI function with the modern virtio-pci transport (virtio 1.1 §4.1):
 * vendor 0x1af4, device 0x1040 + the device id, vendor capabilities in config space pointing at
 * the common, notify, ISR and device-config structures in BAR4, the PCI-config access
 * capability, and MSI-X (table and PBA in BAR1) with a vector per queue plus config; INTx with
 * the ISR when MSI-X is off. The driver's rings are in guest memory, which the device reaches
 * by IOVA through the container it was opened in ({@link VmAddressSpace#behindIommu}).
 *
 * <p>Register state is guarded by this object's monitor (the vendor lock of the lock order);
 * a queue notify is forwarded without it, so kicks of different queues do not serialise here.
 * Interrupts are raised from the device's callbacks, which run after it released its own lock.
 */
final class VirtioPciFunction extends VfioPciDeviceOps {
    static final int VENDOR = 0x1af4;
    static final int DEVICE_BASE = 0x1040;
    static final int SUBSYSTEM = 0x1100;

    /** BAR1: the MSI-X table and PBA; BAR4: the virtio structures. */
    static final int MSIX_BAR = VFIO_PCI_BAR1_REGION_INDEX;
    static final int MSIX_BAR_SIZE = 0x1000;
    static final int MSIX_PBA = 0x800;
    static final int VIRTIO_BAR = VFIO_PCI_BAR4_REGION_INDEX;
    static final int VIRTIO_BAR_SIZE = 0x4000;
    static final int COMMON = 0x0000;
    static final int COMMON_SIZE = 0x38;
    static final int ISR = 0x1000;
    static final int DEVICE_CFG = 0x2000;
    static final int NOTIFY = 0x3000;
    static final int NOTIFY_MULTIPLIER = 4;
    static final int NOTIFY_SIZE = 0x1000;

    /** Capabilities in config space. */
    static final int CAP_COMMON = 0x40;
    static final int CAP_NOTIFY = 0x50;
    static final int CAP_ISR = 0x64;
    static final int CAP_DEVICE = 0x74;
    static final int CAP_PCI_CFG = 0x84;
    static final int CAP_MSIX = 0x98;
    static final int PCI_CAP_ID_VNDR = 0x09;
    static final int PCI_CAP_ID_MSIX = 0x11;
    static final int VIRTIO_PCI_CAP_COMMON_CFG = 1;
    static final int VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
    static final int VIRTIO_PCI_CAP_ISR_CFG = 3;
    static final int VIRTIO_PCI_CAP_DEVICE_CFG = 4;
    static final int VIRTIO_PCI_CAP_PCI_CFG = 5;

    static final int NO_VECTOR = 0xffff;
    /**
     * What the transport adds to the device's features: ACCESS_PLATFORM, since every access the
     * device makes goes through the container's IOMMU (a guest with a vIOMMU must map for it).
     */
    static final long TRANSPORT_FEATURES = Virtio.bit(Virtio.F_ACCESS_PLATFORM);
    /** Ring features this stack does not implement: never offered, whatever a device says. */
    static final long UNIMPLEMENTED_FEATURES = Virtio.bit(Virtio.F_RING_EVENT_IDX) | Virtio.bit(Virtio.F_RING_PACKED);
    /** The largest queue the transport offers, whatever the device allows (the driver may ask less). */
    static final int QUEUE_SIZE_MAX = 256;
    static final int MAX_QUEUES = NOTIFY_SIZE / NOTIFY_MULTIPLIER;


    private final String name;
    private final VirtioDeviceOps device;
    private final int queueCount;
    private final int vectors;
    private final int configSize;
    private final PciConfig config;
    private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

    // ---- transport registers, guarded by this ----
    private int deviceFeatureSelect;
    private int driverFeatureSelect;
    private long driverFeatures;
    private int msixConfig = NO_VECTOR;
    private int queueSelect;
    private final int[] queueSize;
    private final int[] queueVector;
    private final long[] queueDesc;
    private final long[] queueDriver;
    private final long[] queueDevice;
    /** Enabled queues; read without the monitor by notify. */
    private final boolean[] queueEnabled;
    private int isr;
    private int openCount;

    // ---- interrupts, guarded by this ----
    private EventFd intx;
    private boolean intxMasked;
    private final EventFd[] msix;

    VirtioPciFunction(String name, VirtioDeviceOps device) {
        this.name = name;
        this.device = device;
        this.queueCount = Math.min(device.getQueueCount(), MAX_QUEUES);
        this.vectors = queueCount + 1;
        this.configSize = Math.min(device.getConfigSize(), 0x1000);
        this.queueSize = new int[queueCount];
        this.queueVector = new int[queueCount];
        this.queueDesc = new long[queueCount];
        this.queueDriver = new long[queueCount];
        this.queueDevice = new long[queueCount];
        this.queueEnabled = new boolean[queueCount];
        this.msix = new EventFd[vectors];
        resetTransport();
        this.config = buildConfig(device.getDeviceId());
    }

    String name() {
        return name;
    }

    private PciConfig buildConfig(int deviceId) {
        int classCode = switch (deviceId) {
            case Virtio.ID_NET -> 0x020000;                  // ethernet
            case Virtio.ID_BLOCK -> 0x018000;                // other mass storage
            case Virtio.ID_CONSOLE -> 0x078000;              // other communication
            case Virtio.ID_GPU -> 0x038000;                  // other display
            default -> 0xff0000;
        };
        PciConfig c = new PciConfig(VENDOR, DEVICE_BASE + deviceId,
                PciConfig.COMMAND_MEMORY | PciConfig.COMMAND_MASTER | PciConfig.COMMAND_INTX_DISABLE)
                .put16(0x06, 0x0010)                         // status: capabilities list
                .classCode(classCode, 1)                     // revision 1: modern only
                .memoryBar32(MSIX_BAR, MSIX_BAR_SIZE, 0)
                .memoryBar64(VIRTIO_BAR, VIRTIO_BAR_SIZE, PciConfig.BAR_PREFETCH)
                .subsystem(VENDOR, SUBSYSTEM)
                .put8(0x34, CAP_COMMON)
                .put8(0x3d, 1);                              // INTA#
        virtioCap(c, CAP_COMMON, CAP_NOTIFY, 16, VIRTIO_PCI_CAP_COMMON_CFG, COMMON, COMMON_SIZE);
        virtioCap(c, CAP_NOTIFY, CAP_ISR, 20, VIRTIO_PCI_CAP_NOTIFY_CFG, NOTIFY, NOTIFY_SIZE);
        c.put32(CAP_NOTIFY + 16, NOTIFY_MULTIPLIER);
        virtioCap(c, CAP_ISR, CAP_DEVICE, 16, VIRTIO_PCI_CAP_ISR_CFG, ISR, 1);
        virtioCap(c, CAP_DEVICE, CAP_PCI_CFG, 16, VIRTIO_PCI_CAP_DEVICE_CFG, DEVICE_CFG, Math.max(configSize, 1));
        virtioCap(c, CAP_PCI_CFG, CAP_MSIX, 20, VIRTIO_PCI_CAP_PCI_CFG, 0, 0);
        c.put8(CAP_PCI_CFG + 4, 0)                           // the window's bar, offset and length: the driver's
                .writable(CAP_PCI_CFG + 4, 0xff).writable(CAP_PCI_CFG + 8, 0xffff_ffff)
                .writable(CAP_PCI_CFG + 12, 0xffff_ffff);
        c.put8(CAP_MSIX, PCI_CAP_ID_MSIX).put8(CAP_MSIX + 1, 0).put16(CAP_MSIX + 2, vectors - 1)
                .put32(CAP_MSIX + 4, MSIX_BAR)               // table at 0 of BAR1
                .put32(CAP_MSIX + 8, MSIX_PBA | MSIX_BAR)
                .writable(CAP_MSIX, 0xc000 << 16);           // MSI-X enable and function mask
        return c.seal();
    }

    /** struct virtio_pci_cap: vndr, next, len, cfg_type, bar, id, padding[2], le32 offset, le32 length. */
    private static void virtioCap(PciConfig c, int at, int next, int len, int type, int offset, int length) {
        c.put8(at, PCI_CAP_ID_VNDR).put8(at + 1, next).put8(at + 2, len).put8(at + 3, type)
                .put8(at + 4, VIRTIO_BAR).put8(at + 5, 0).put32(at + 8, offset).put32(at + 12, length);
    }

    private void resetTransport() {
        deviceFeatureSelect = 0;
        driverFeatureSelect = 0;
        driverFeatures = 0;
        msixConfig = NO_VECTOR;
        queueSelect = 0;
        for (int q = 0; q < queueCount; q++) {
            queueSize[q] = Math.min(device.getVqNumMax(), QUEUE_SIZE_MAX);
            queueVector[q] = NO_VECTOR;
            queueDesc[q] = queueDriver[q] = queueDevice[q] = 0;
            queueEnabled[q] = false;
        }
        isr = 0;
    }

    // ---- lifecycle --------------------------------------------------------------------------

    synchronized boolean isOpen() {
        return openCount > 0;
    }

    @Override
    protected void onRemoved() {
        intx = null;
        java.util.Arrays.fill(msix, null);
    }

    @Override
    protected String describe() {
        return "virtio-pci function of " + name;
    }

    /** The device reaches guest memory through the container's IOMMU, by IOVA. */
    @Override
    public synchronized void open(VfioDeviceContext context) {
        checkAlive();
        if (openCount == 0) {
            device.setStatus(0);
            resetTransport();
            device.setGuestMemory(VmAddressSpace.behindIommu("guest of virtio-pci " + name, context.dma()));
            device.setConfigCallback(this::configChanged);
        }
        openCount++;
    }

    /** The last release resets the device: the VM's driver is gone. */
    @Override
    public synchronized void release() {
        if (openCount > 0 && --openCount == 0) {
            try {
                device.setStatus(0);
            } catch (ErrnoException gone) {
                // the device went first
            }
            resetTransport();
            intx = null;
            intxMasked = false;
            java.util.Arrays.fill(msix, null);
        }
    }

    // ---- regions ----------------------------------------------------------------------------

    @Override
    protected long regionSize(int index) {
        return switch (index) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> PciConfig.SIZE;
            case MSIX_BAR -> MSIX_BAR_SIZE;
            case VIRTIO_BAR -> VIRTIO_BAR_SIZE;
            default -> 0;
        };
    }

    @Override
    public int read(ByteBuffer dst, long pos) {
        int count = dst.remaining();
        int index = VfioRegions.index(pos);
        synchronized (this) {
            int offset = checkAccess(pos, count);
            switch (index) {
                case VFIO_PCI_CONFIG_REGION_INDEX -> readConfig(dst, offset, count);
                case MSIX_BAR -> dst.put(new byte[count]);   // QEMU emulates the table; the device keeps none
                default -> readVirtio(dst, offset, count);
            }
        }
        return count;
    }

    @Override
    public int write(ByteBuffer src, long pos) {
        int count = src.remaining();
        int index = VfioRegions.index(pos);
        long offset = VfioRegions.offset(pos);
        if (index == VIRTIO_BAR && offset >= NOTIFY && offset < NOTIFY + NOTIFY_SIZE) {
            notify((int) (offset - NOTIFY), count);
            src.position(src.limit());
            return count;
        }
        synchronized (this) {
            int at = checkAccess(pos, count);
            switch (index) {
                case VFIO_PCI_CONFIG_REGION_INDEX -> writeConfig(src, at, count);
                case MSIX_BAR -> { }
                default -> writeVirtio(src, at, count);
            }
        }
        src.position(src.limit());
        return count;
    }

    /** A driver's notification: the queue whose notify_off the address names (§4.1.4.4). */
    private void notify(int offset, int count) {
        synchronized (this) {
            checkAccess(VfioRegions.position(VIRTIO_BAR, NOTIFY + offset), count);
        }
        int queue = offset / NOTIFY_MULTIPLIER;
        if (queue < queueCount && queueEnabled[queue]) {
            device.kickVq(queue);
        }
    }

    // ---- config space -----------------------------------------------------------------------

    private void readConfig(ByteBuffer dst, int offset, int count) {
        if (offset >= CAP_PCI_CFG + 16 && offset < CAP_PCI_CFG + 20) {
            pciCfgWindow(dst, null, offset, count);
            return;
        }
        config.read(dst.slice(dst.position(), count), offset);
        dst.position(dst.position() + count);
    }

    private void writeConfig(ByteBuffer src, int offset, int count) {
        if (offset >= CAP_PCI_CFG + 16 && offset < CAP_PCI_CFG + 20) {
            pciCfgWindow(null, src, offset, count);
            return;
        }
        config.write(src.slice(src.position(), count), offset);
    }

    /** VIRTIO_PCI_CAP_PCI_CFG: pci_cfg_data reaches {@code length} bytes of the chosen BAR at offset (§4.1.4.7). */
    private void pciCfgWindow(ByteBuffer dst, ByteBuffer src, int offset, int count) {
        int bar = config.get8(CAP_PCI_CFG + 4);
        int barOffset = config.get32(CAP_PCI_CFG + 8);
        int length = config.get32(CAP_PCI_CFG + 12);
        boolean usable = bar == VIRTIO_BAR && (length == 1 || length == 2 || length == 4) && offset == CAP_PCI_CFG + 16
                && count == length && barOffset >= 0 && barOffset + length <= VIRTIO_BAR_SIZE
                && barOffset % length == 0;
        if (!usable) {
            if (dst != null) {
                dst.put(new byte[count]);
            }
            return;
        }
        if (dst != null) {
            readVirtio(dst, barOffset, count);
        } else if (barOffset >= NOTIFY) {
            int queue = (barOffset - NOTIFY) / NOTIFY_MULTIPLIER;
            if (queue < queueCount && queueEnabled[queue]) {
                device.kickVq(queue);
            }
        } else {
            writeVirtio(src, barOffset, count);
        }
    }

    // ---- BAR4: common config, ISR, device config ------------------------------------------

    private void readVirtio(ByteBuffer dst, int offset, int count) {
        if (offset >= COMMON && offset + count <= COMMON + COMMON_SIZE) {
            commonAccess(offset - COMMON, dst, null, count);
        } else if (offset == ISR && count == 1) {
            dst.put((byte) readIsr());
        } else if (offset >= DEVICE_CFG && offset + count <= DEVICE_CFG + configSize) {
            device.getConfig(offset - DEVICE_CFG, dst.slice(dst.position(), count));
            dst.position(dst.position() + count);
        } else {
            dst.put(new byte[count]);                        // nothing there: reads as zeros
        }
    }

    private void writeVirtio(ByteBuffer src, int offset, int count) {
        if (offset >= COMMON && offset + count <= COMMON + COMMON_SIZE) {
            commonAccess(offset - COMMON, null, src, count);
        } else if (offset >= DEVICE_CFG && offset + count <= DEVICE_CFG + configSize) {
            device.setConfig(offset - DEVICE_CFG, src.slice(src.position(), count));
        }
        // the ISR and holes are read-only
    }

    /** The fields of struct virtio_pci_common_cfg: offset and size. */
    private static final int[][] FIELDS = {
        { 0x00, 4 }, { 0x04, 4 }, { 0x08, 4 }, { 0x0c, 4 }, { 0x10, 2 }, { 0x12, 2 }, { 0x14, 1 }, { 0x15, 1 },
        { 0x16, 2 }, { 0x18, 2 }, { 0x1a, 2 }, { 0x1c, 2 }, { 0x1e, 2 }, { 0x20, 8 }, { 0x28, 8 }, { 0x30, 8 },
    };

    /**
     * Reads or writes {@code count} bytes at {@code at} of the common config, field by field:
     * a write merges its bytes into each field it touches (a 64-bit address written as two
     * dwords, lo then hi, as Linux's vp_iowrite64_twopart does) and applies the field.
     */
    private void commonAccess(int at, ByteBuffer dst, ByteBuffer src, int count) {
        int end = at + count;
        for (int[] f : FIELDS) {
            int from = Math.max(at, f[0]);
            int to = Math.min(end, f[0] + f[1]);
            if (from >= to) {
                continue;
            }
            long value = commonRead(f[0]);
            if (dst != null) {
                for (int i = from; i < to; i++) {
                    dst.put(dst.position() + (i - at), (byte) (value >>> (8 * (i - f[0]))));
                }
            } else {
                for (int i = from; i < to; i++) {
                    int shift = 8 * (i - f[0]);
                    value = (value & ~(0xffL << shift)) | ((src.get(src.position() + (i - at)) & 0xffL) << shift);
                }
                commonWrite(f[0], value);
            }
        }
        if (dst != null) {
            dst.position(dst.position() + count);
        }
    }

    private boolean queueSelected() {
        return queueSelect < queueCount;
    }

    private long commonRead(int field) {
        int q = queueSelect;
        boolean ok = queueSelected();
        return switch (field) {
            case 0x00 -> deviceFeatureSelect;
            case 0x04 -> deviceFeatureSelect < 2 ? (offeredFeatures() >>> (32 * deviceFeatureSelect)) & 0xffff_ffffL : 0;
            case 0x08 -> driverFeatureSelect;
            case 0x0c -> driverFeatureSelect < 2 ? (driverFeatures >>> (32 * driverFeatureSelect)) & 0xffff_ffffL : 0;
            case 0x10 -> msixConfig;
            case 0x12 -> queueCount;
            case 0x14 -> device.getStatus() & 0xff;
            case 0x15 -> device.getGeneration() & 0xff;
            case 0x16 -> queueSelect;
            case 0x18 -> ok ? queueSize[q] : 0;
            case 0x1a -> ok ? queueVector[q] : NO_VECTOR;
            case 0x1c -> ok && queueEnabled[q] ? 1 : 0;
            case 0x1e -> ok ? q : 0;                         // notify_off: the queue's index
            case 0x20 -> ok ? queueDesc[q] : 0;
            case 0x28 -> ok ? queueDriver[q] : 0;
            case 0x30 -> ok ? queueDevice[q] : 0;
            default -> 0;
        };
    }

    private void commonWrite(int field, long value) {
        int q = queueSelect;
        boolean ok = queueSelected() && !queueEnabled[q];   // a live queue's setup is fixed
        switch (field) {
            case 0x00 -> deviceFeatureSelect = (int) value;
            case 0x08 -> driverFeatureSelect = (int) value;
            case 0x0c -> {
                if (driverFeatureSelect < 2) {
                    int shift = 32 * driverFeatureSelect;
                    driverFeatures = (driverFeatures & ~(0xffff_ffffL << shift)) | ((value & 0xffff_ffffL) << shift);
                }
            }
            case 0x10 -> msixConfig = value < vectors ? (int) value : NO_VECTOR;
            case 0x14 -> writeStatus((int) value & 0xff);
            case 0x16 -> queueSelect = (int) value & 0xffff;
            case 0x18 -> {
                if (ok) {
                    queueSize[q] = (int) value & 0xffff;
                }
            }
            case 0x1a -> {
                if (queueSelected()) {
                    queueVector[q] = value < vectors ? (int) value : NO_VECTOR;
                }
            }
            case 0x1c -> {
                if (ok && value == 1) {
                    enableQueue(q);
                }
            }
            case 0x20 -> {
                if (ok) {
                    queueDesc[q] = value;
                }
            }
            case 0x28 -> {
                if (ok) {
                    queueDriver[q] = value;
                }
            }
            case 0x30 -> {
                if (ok) {
                    queueDevice[q] = value;
                }
            }
            default -> {
                // device_feature, num_queues, config_generation, queue_notify_off are read-only
            }
        }
    }

    /** The device's features without the ring features not implemented, with the transport's. */
    private long offeredFeatures() {
        return (device.getFeatures() & ~UNIMPLEMENTED_FEATURES) | TRANSPORT_FEATURES;
    }

    /**
     * device_status: 0 resets device and transport; setting FEATURES_OK first hands the device
     * the driver's features, and a device that refuses them leaves FEATURES_OK clear, which
     * the driver reads back (§3.1.1).
     */
    private void writeStatus(int status) {
        if (status == 0) {
            device.setStatus(0);
            resetTransport();
            return;
        }
        int before = device.getStatus();
        if ((status & Virtio.STATUS_FEATURES_OK) != 0 && (before & Virtio.STATUS_FEATURES_OK) == 0) {
            try {
                if ((driverFeatures & ~offeredFeatures()) != 0) {
                    throw new ErrnoException(Errno.EINVAL, "features 0x" + Long.toHexString(driverFeatures & ~offeredFeatures())
                            + " were not offered");
                }
                device.setFeatures(driverFeatures & ~TRANSPORT_FEATURES);   // the device knows only its own
            } catch (ErrnoException refused) {
                status &= ~Virtio.STATUS_FEATURES_OK;
            }
        }
        device.setStatus(status);
    }

    /** queue_enable = 1: size, areas, name, callback, then ready; a queue the device refuses stays disabled. */
    private void enableQueue(int q) {
        try {
            device.setVqNum(q, queueSize[q]);
            device.setVqAddress(q, queueDesc[q], queueDriver[q], queueDevice[q]);
            device.setVqName(q, QueueNames.of(device.getDeviceId(), q, queueCount));
            device.setVqCallback(q, () -> queueUsed(q));
            device.setVqReady(q, true);
            queueEnabled[q] = true;
        } catch (ErrnoException refused) {
            Logs.of(VirtioPciFunction.class).log(System.Logger.Level.INFO,
                    "virtio-pci " + name + ": queue " + q + " not enabled: " + refused);
        }
    }

    // ---- interrupts ---------------------------------------------------------------------------

    /** Reading the ISR clears it and lowers INTx (§4.1.4.5). */
    private int readIsr() {
        int value = isr;
        isr = 0;
        return value;
    }

    private boolean msixEnabled() {
        return (config.get16(CAP_MSIX + 2) & 0x8000) != 0 || anyMsix();
    }

    private boolean anyMsix() {
        for (EventFd e : msix) {
            if (e != null) {
                return true;
            }
        }
        return false;
    }

    private synchronized void queueUsed(int q) {
        if (q < queueCount) {
            raise(queueVector[q], 1);
        }
    }

    private synchronized void configChanged() {
        raise(msixConfig, 2);
    }

    /** An MSI-X vector when MSI-X is on, else the ISR bit and INTx. */
    private void raise(int vector, int isrBit) {
        if (isRemoved()) {
            return;
        }
        if (msixEnabled()) {
            if (vector != NO_VECTOR && vector < vectors && msix[vector] != null) {
                msix[vector].signal();
            }
            return;
        }
        isr |= isrBit;
        if (intx != null && !intxMasked && (config.get16(PciConfig.COMMAND) & PciConfig.COMMAND_INTX_DISABLE) == 0) {
            intxMasked = true;                              // AUTOMASKED until the user unmasks
            intx.signal();
        }
    }

    @Override
    public VfioIrqInfo getIrqInfo(int index) {
        return switch (index) {
            case VFIO_PCI_INTX_IRQ_INDEX -> new VfioIrqInfo(index,
                    VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED, 1);
            case VFIO_PCI_MSIX_IRQ_INDEX -> new VfioIrqInfo(index, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, vectors);
            case VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_ERR_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX -> new VfioIrqInfo(index, 0, 0);
            default -> throw new ErrnoException(Errno.EINVAL, "virtio-pci has no irq index " + index);
        };
    }

    @Override
    public synchronized void setIrqs(VfioIrqSet set) {
        checkAlive();
        switch (set.index()) {
            case VFIO_PCI_INTX_IRQ_INDEX -> setIntx(set);
            case VFIO_PCI_MSIX_IRQ_INDEX -> setMsix(set);
            default -> throw new ErrnoException(Errno.EINVAL, "virtio-pci signals INTx (0) and MSI-X (2), not index "
                    + set.index());
        }
    }

    private void setIntx(VfioIrqSet set) {
        switch (set.action()) {
            case VFIO_IRQ_SET_ACTION_MASK -> {
                if (set.count() > 0 && asserted(set)) {
                    intxMasked = true;
                }
            }
            case VFIO_IRQ_SET_ACTION_UNMASK -> {
                if (set.count() > 0 && asserted(set)) {
                    intxMasked = false;
                    if (isr != 0 && intx != null) {
                        intxMasked = true;                  // still pending: the line is still up
                        intx.signal();
                    }
                }
            }
            default -> {
                if (set.dataType() == VFIO_IRQ_SET_DATA_EVENTFD) {
                    intx = set.eventFds()[0];
                    intxMasked = false;
                } else if (set.count() == 0) {
                    intx = null;
                } else if (asserted(set) && intx != null) {
                    intx.signal();
                }
            }
        }
    }

    private void setMsix(VfioIrqSet set) {
        if (set.action() != VFIO_IRQ_SET_ACTION_TRIGGER) {
            throw new ErrnoException(Errno.EINVAL, "MSI-X vectors are masked in the MSI-X table, not by SET_IRQS");
        }
        if (set.dataType() == VFIO_IRQ_SET_DATA_EVENTFD) {
            for (int i = 0; i < set.count(); i++) {
                msix[set.start() + i] = set.eventFds()[i];
            }
        } else if (set.count() == 0) {
            java.util.Arrays.fill(msix, null);
        } else {
            for (int i = 0; i < set.count(); i++) {
                EventFd e = msix[set.start() + i];
                if (e != null && (set.dataType() == VFIO_IRQ_SET_DATA_NONE || set.bools()[i])) {
                    e.signal();
                }
            }
        }
    }

    private static boolean asserted(VfioIrqSet set) {
        return set.dataType() == VFIO_IRQ_SET_DATA_NONE ? set.count() > 0 : set.count() > 0 && set.bools()[0];
    }

    /** VFIO_DEVICE_RESET: a function-level reset: the device and the transport to their reset state. */
    @Override
    public synchronized void reset() {
        checkAlive();
        device.setStatus(0);
        resetTransport();
        config.reset();
        intxMasked = false;
    }
}
