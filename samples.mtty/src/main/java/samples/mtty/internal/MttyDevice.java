package samples.mtty.internal;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioPciDeviceOps;
import vfio.core.VfioRegions;

/**
 * One mtty device: a PCI serial card with one or two 16550A ports behind 8-byte I/O BARs
 * (samples/vfio-mdev/mtty.c), reached through VFIO regions, with INTx and MSI signalled
 * through eventfds. Every entry point holds the device's monitor; it is the vendor lock of the
 * bus's lock order and nothing outside this device is called while holding it except
 * {@link EventFd#signal}, which never blocks.
 */
final class MttyDevice extends VfioPciDeviceOps {
    /**
     * Config space: all 256 bytes of a PCI function's. The kernel sample's MTTY_CONFIG_SPACE_SIZE
     * is 0xff, which leaves the last dword (0xfc) unreadable to a guest reading it whole.
     */
    static final int CONFIG_SPACE_SIZE = 0x100;
    static final int IO_BAR_SIZE = 8;

    static final int PCI_COMMAND = 0x04;
    static final int PCI_BASE_ADDRESS_0 = 0x10;
    static final int PCI_BASE_ADDRESS_1 = 0x14;
    static final int PCI_ROM_ADDRESS = 0x30;
    static final int PCI_INTERRUPT_LINE = 0x3c;
    static final int PCI_COMMAND_IO = 0x0001;
    static final int PCI_COMMAND_INTX_DISABLE = 0x0400;
    static final int PCI_BASE_ADDRESS_SPACE_IO = 0x01;
    /** BAR sizing mask of an 8-byte I/O BAR: ~(size - 1). */
    static final int IO_BAR_MASK = ~(IO_BAR_SIZE - 1);

    private final UUID uuid;
    private final int nrPorts;
    private final Uart16550[] ports;
    private final byte[] config = new byte[256];

    private int openCount;
    private EventFd intxTrigger;
    private boolean intxMasked;
    private boolean intxPending;
    private EventFd msiTrigger;
    private EventFd reqTrigger;

    MttyDevice(UUID uuid, int nrPorts) {
        this.uuid = uuid;
        this.nrPorts = nrPorts;
        this.ports = new Uart16550[nrPorts];
        for (int i = 0; i < nrPorts; i++) {
            ports[i] = new Uart16550();
        }
        createConfigSpace();
    }

    int nrPorts() {
        return nrPorts;
    }

    /** mtty_create_config_space. */
    private void createConfigSpace() {
        java.util.Arrays.fill(config, (byte) 0);
        putLe32(0x00, 0x32534348);          // vendor 0x4348 (WCH), device 0x3253
        putLe16(0x04, PCI_COMMAND_IO);      // command: I/O+ Mem- BusMaster-
        putLe16(0x06, 0x0200);              // status: medium DEVSEL, no capabilities list
        config[0x08] = 0x10;                // revision
        config[0x09] = 0x02;                // prog-if: 16550-compatible
        config[0x0a] = 0x00;                // subclass: serial controller
        config[0x0b] = 0x07;                // class: simple communication controller
        putLe32(PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_SPACE_IO);
        if (nrPorts == 2) {
            putLe32(PCI_BASE_ADDRESS_1, PCI_BASE_ADDRESS_SPACE_IO);
        }
        putLe32(0x2c, 0x32534348);          // subsystem vendor and id
        config[0x34] = 0x00;                // no capabilities
        config[0x3d] = 0x01;                // interrupt pin INTA#
        config[0x40] = 0x23;                // vendor-specific bytes of the sample
        config[0x43] = (byte) 0x80;
        config[0x44] = 0x23;
        config[0x48] = 0x23;
        config[0x4c] = 0x23;
        byte[] text = "PCI Serial/UART".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, config, 0x60, text.length);
    }

    // ---- lifecycle ----------------------------------------------------------------------

    @Override
    protected void onRemoved() {
        clearIrqs();
    }

    @Override
    protected String describe() {
        return "mtty device " + uuid;
    }

    @Override
    public synchronized void open() {
        checkAlive();
        openCount++;
    }

    /** The last release tears the interrupt eventfds down, as vfio-pci's release does. */
    @Override
    public synchronized void release() {
        if (openCount > 0 && --openCount == 0) {
            clearIrqs();
        }
    }

    private void clearIrqs() {
        intxTrigger = null;
        msiTrigger = null;
        reqTrigger = null;
        intxMasked = false;
        intxPending = false;
    }

    // ---- regions ------------------------------------------------------------------------

    @Override
    protected long regionSize(int index) {
        return switch (index) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> CONFIG_SPACE_SIZE;
            case VFIO_PCI_BAR0_REGION_INDEX -> IO_BAR_SIZE;
            case VFIO_PCI_BAR1_REGION_INDEX -> nrPorts == 2 ? IO_BAR_SIZE : 0;
            default -> 0;
        };
    }

    @Override
    public synchronized int read(ByteBuffer dst, long pos) {
        int count = dst.remaining();
        int offset = checkAccess(pos, count);
        int index = VfioRegions.index(pos);
        if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
            dst.put(config, offset, count);
            return count;
        }
        Uart16550 port = ports[index];
        for (int i = 0; i < count; i++) {
            int result = port.read(offset + i);
            if ((result & Uart16550.RAISE_IRQ) != 0) {
                raiseInterrupt();
            }
            dst.put((byte) result);
        }
        return count;
    }

    @Override
    public synchronized int write(ByteBuffer src, long pos) {
        int count = src.remaining();
        int offset = checkAccess(pos, count);
        int index = VfioRegions.index(pos);
        if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
            writeConfig(src, offset, count);
            return count;
        }
        Uart16550 port = ports[index];
        for (int i = 0; i < count; i++) {
            if ((port.write(offset + i, src.get()) & Uart16550.RAISE_IRQ) != 0) {
                raiseInterrupt();
            }
        }
        return count;
    }

    /**
     * Config writes are applied a dword at a time: the bytes written are merged into the dword
     * and only its writable bits change (mtty.c reads a u32 whatever the access size).
     */
    private void writeConfig(ByteBuffer src, int offset, int count) {
        int end = offset + count;
        for (int dword = offset & ~3; dword < end; dword += 4) {
            int merged = getLe32(dword);
            int written = 0;
            for (int b = 0; b < 4; b++) {
                int at = dword + b;
                if (at >= offset && at < end) {
                    int shift = 8 * b;
                    merged = (merged & ~(0xff << shift)) | ((src.get() & 0xff) << shift);
                    written |= 0xff << shift;
                }
            }
            applyConfigDword(dword, merged, written);
        }
    }

    private void applyConfigDword(int dword, int value, int writtenBytes) {
        switch (dword) {
            case PCI_COMMAND -> {
                int writable = (PCI_COMMAND_IO | PCI_COMMAND_INTX_DISABLE) & writtenBytes;
                putLe32(dword, (getLe32(dword) & ~writable) | (value & writable));
            }
            case PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_1 -> {
                boolean present = dword == PCI_BASE_ADDRESS_0 || nrPorts == 2;
                // Sizing (all ones) reads back the size mask; an address keeps its aligned bits.
                putLe32(dword, present ? (value & IO_BAR_MASK) | PCI_BASE_ADDRESS_SPACE_IO : 0);
            }
            case PCI_INTERRUPT_LINE -> {
                int writable = 0xff & writtenBytes;
                putLe32(dword, (getLe32(dword) & ~writable) | (value & writable));
            }
            default -> {
                // BAR2-5, the ROM BAR and everything else are read-only.
            }
        }
    }

    // ---- interrupts ---------------------------------------------------------------------

    /** mtty_trigger_interrupt: MSI when enabled, else INTx unless disabled or masked. */
    private void raiseInterrupt() {
        if (msiTrigger != null) {
            msiTrigger.signal();
            return;
        }
        if (intxTrigger == null || (getLe32(PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) != 0) {
            return;
        }
        if (intxMasked) {
            intxPending = true;
            return;
        }
        // INTx is AUTOMASKED: it stays masked until the user unmasks it.
        intxMasked = true;
        intxTrigger.signal();
    }

    // ---- ioctls -------------------------------------------------------------------------

    @Override
    public VfioIrqInfo getIrqInfo(int index) {
        return switch (index) {
            case VFIO_PCI_INTX_IRQ_INDEX -> new VfioIrqInfo(index,
                    VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED, 1);
            case VFIO_PCI_MSI_IRQ_INDEX, VFIO_PCI_REQ_IRQ_INDEX -> new VfioIrqInfo(index,
                    VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 1);
            default -> throw new ErrnoException(Errno.EINVAL, "mtty has no irq index " + index);
        };
    }

    @Override
    public synchronized void setIrqs(VfioIrqSet set) {
        checkAlive();
        switch (set.index()) {
            case VFIO_PCI_INTX_IRQ_INDEX -> setIntx(set);
            case VFIO_PCI_MSI_IRQ_INDEX -> setMsi(set);
            case VFIO_PCI_REQ_IRQ_INDEX -> setReq(set);
            default -> throw new ErrnoException(Errno.EINVAL, "mtty has no irq index " + set.index());
        }
    }

    private void setIntx(VfioIrqSet set) {
        switch (set.action()) {
            case VFIO_IRQ_SET_ACTION_MASK -> {
                rejectEventFd(set, "mask");
                if (set.count() > 0 && asserted(set)) {
                    intxMasked = true;
                }
            }
            case VFIO_IRQ_SET_ACTION_UNMASK -> {
                rejectEventFd(set, "unmask");
                if (set.count() > 0 && asserted(set)) {
                    intxMasked = false;
                    if (intxPending) {
                        intxPending = false;
                        raiseInterrupt();
                    }
                }
            }
            default -> {
                if (set.dataType() == VFIO_IRQ_SET_DATA_EVENTFD) {
                    EventFd trigger = set.eventFds()[0];
                    if (trigger != null && msiTrigger != null) {
                        throw new ErrnoException(Errno.EINVAL, "INTx cannot be enabled while MSI is enabled");
                    }
                    intxTrigger = trigger;
                    intxMasked = false;
                    intxPending = false;
                } else if (set.count() == 0 && set.dataType() == VFIO_IRQ_SET_DATA_NONE) {
                    intxTrigger = null;
                } else if (asserted(set)) {
                    raiseInterrupt();
                }
            }
        }
    }

    private void setMsi(VfioIrqSet set) {
        if (set.action() != VFIO_IRQ_SET_ACTION_TRIGGER) {
            throw new ErrnoException(Errno.EINVAL, "MSI of mtty is not maskable");
        }
        if (set.dataType() == VFIO_IRQ_SET_DATA_EVENTFD) {
            EventFd trigger = set.eventFds()[0];
            if (trigger != null && intxTrigger != null) {
                throw new ErrnoException(Errno.EINVAL, "MSI cannot be enabled while INTx is enabled");
            }
            msiTrigger = trigger;
        } else if (set.count() == 0 && set.dataType() == VFIO_IRQ_SET_DATA_NONE) {
            msiTrigger = null;
        } else if (asserted(set) && msiTrigger != null) {
            msiTrigger.signal();
        }
    }

    private void setReq(VfioIrqSet set) {
        if (set.action() != VFIO_IRQ_SET_ACTION_TRIGGER) {
            throw new ErrnoException(Errno.EINVAL, "the request irq is not maskable");
        }
        if (set.dataType() == VFIO_IRQ_SET_DATA_EVENTFD) {
            reqTrigger = set.eventFds()[0];
        } else if (set.count() == 0 && set.dataType() == VFIO_IRQ_SET_DATA_NONE) {
            reqTrigger = null;
        } else if (asserted(set) && reqTrigger != null) {
            reqTrigger.signal();
        }
    }

    private static void rejectEventFd(VfioIrqSet set, String action) {
        if (set.dataType() == VFIO_IRQ_SET_DATA_EVENTFD) {
            throw new ErrnoException(Errno.EINVAL, "mtty does not take an eventfd to " + action + " INTx");
        }
    }

    /** DATA_NONE always, DATA_BOOL when its first bool is set. */
    private static boolean asserted(VfioIrqSet set) {
        return set.dataType() == VFIO_IRQ_SET_DATA_NONE ? set.count() > 0 : set.count() > 0 && set.bools()[0];
    }

    /** VFIO_DEVICE_RESET: ports and config space to power-on state; eventfds stay. */
    @Override
    public synchronized void reset() {
        checkAlive();
        for (Uart16550 port : ports) {
            port.reset();
        }
        createConfigSpace();
        intxMasked = false;
        intxPending = false;
    }

    // ---- little-endian config helpers ---------------------------------------------------

    private int getLe32(int at) {
        return (config[at] & 0xff) | (config[at + 1] & 0xff) << 8 | (config[at + 2] & 0xff) << 16
                | (config[at + 3] & 0xff) << 24;
    }

    private void putLe32(int at, int value) {
        putLe16(at, value);
        putLe16(at + 2, value >>> 16);
    }

    private void putLe16(int at, int value) {
        config[at] = (byte) value;
        config[at + 1] = (byte) (value >>> 8);
    }
}
