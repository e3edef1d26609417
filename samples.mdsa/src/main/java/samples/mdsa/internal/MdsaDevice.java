package samples.mdsa.internal;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.PciConfig;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDma;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioPciDeviceOps;
import vfio.core.VfioRegions;

/**
 * One work queue of the mdsa parent, given to a guest as a PCI function: BAR0 holds read-only
 * registers, BAR2 the queue's portal, where one 64-byte write submits one descriptor (what
 * MOVDIR64B/ENQCMD do). The descriptor's PASID tags every access it makes: the platform
 * IOMMU translates its addresses through the guest page table the VMM bound to that PASID
 * (VFIO_IOMMU_BIND), then through the container's DMA mappings, as vSVA does. Faults and
 * malformed descriptors end in a completion status, as hardware reports them, not in an
 * error of the write.
 *
 * <p>Every entry point holds the device's monitor (the vendor lock: it is taken before the
 * type1 IOMMU's lock, never after). A descriptor runs to completion inside the portal write.
 */
final class MdsaDevice extends VfioPciDeviceOps {
    static final int BAR_SIZE = 0x1000;
    static final int VENDOR_ID = 0x1234;     // the experimental vendor id QEMU's test devices use
    static final int DEVICE_ID = 0x0d5a;

    /** BAR0 registers. */
    static final int REG_VERSION = 0x00;
    static final int REG_MAX_XFER = 0x08;
    static final int REG_STATUS = 0x10;
    static final int REG_FAULT_ADDR = 0x18;
    static final int REG_COMPLETED = 0x20;
    static final int REG_BYTES = 0x28;
    static final int REGS_END = 0x30;
    static final int VERSION = 0x100;


    private static final int PAGE = 4096;

    private final UUID uuid;
    private final String physicalDevice;
    private final PciConfig config = new PciConfig(VENDOR_ID, DEVICE_ID,
            PciConfig.COMMAND_MEMORY | PciConfig.COMMAND_MASTER | PciConfig.COMMAND_INTX_DISABLE)
            .classCode(0x088000, 1)                          // other system peripheral (DSA's class)
            .memoryBar64(0, BAR_SIZE, 0)                     // BAR0/1: registers
            .memoryBar64(2, BAR_SIZE, 0)                     // BAR2/3: portal
            .subsystem(VENDOR_ID, DEVICE_ID)
            .seal();
    /** The bytes of one transfer, reused: a descriptor moves at most MAX_XFER. */
    private final byte[] staging = new byte[Descriptor.MAX_XFER];
    private final ByteBuffer record = ByteBuffer.allocate(Descriptor.COMPLETION_RECORD_SIZE).order(ByteOrder.LITTLE_ENDIAN);

    private int openCount;
    private VfioDma dma;
    private EventFd msiTrigger;
    private int lastStatus;
    private long faultAddr;
    private long completed;
    private long bytesMoved;

    MdsaDevice(UUID uuid, String physicalDevice) {
        this.uuid = uuid;
        this.physicalDevice = physicalDevice;
    }

    // ---- lifecycle ----------------------------------------------------------------------

    @Override
    protected void onRemoved() {
        msiTrigger = null;
        dma = null;
    }

    @Override
    protected String describe() {
        return "mdsa work queue " + uuid;
    }

    /** Opened in a container, the queue reaches guest memory through its IOMMU; else not at all. */
    @Override
    public synchronized void open(VfioDeviceContext context) {
        checkAlive();
        VfioDma reach;
        try {
            reach = context.dma();
        } catch (ErrnoException noIommu) {
            reach = null;
        }
        openCount++;
        dma = reach;
    }

    @Override
    public synchronized void release() {
        if (openCount > 0 && --openCount == 0) {
            dma = null;
            msiTrigger = null;
        }
    }

    // ---- regions ------------------------------------------------------------------------

    @Override
    protected long regionSize(int index) {
        return switch (index) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> PciConfig.SIZE;
            case VFIO_PCI_BAR0_REGION_INDEX, VFIO_PCI_BAR2_REGION_INDEX -> BAR_SIZE;
            default -> 0;
        };
    }

    @Override
    public synchronized int read(ByteBuffer dst, long pos) {
        int count = dst.remaining();
        int offset = checkAccess(pos, count);
        switch (VfioRegions.index(pos)) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> config.read(dst, offset);
            case VFIO_PCI_BAR0_REGION_INDEX -> {
                for (int i = 0; i < count; i++) {
                    dst.put(registerByte(offset + i));
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    dst.put((byte) 0);      // a portal reads as zeros
                }
            }
        }
        return count;
    }

    private byte registerByte(int at) {
        int reg = at & ~7;
        long value = switch (reg) {
            case REG_VERSION -> VERSION;
            case REG_MAX_XFER -> Descriptor.MAX_XFER;
            case REG_STATUS -> lastStatus;
            case REG_FAULT_ADDR -> faultAddr;
            case REG_COMPLETED -> completed;
            case REG_BYTES -> bytesMoved;
            default -> 0;
        };
        return (byte) (value >>> (8 * (at - reg)));
    }

    @Override
    public synchronized int write(ByteBuffer src, long pos) {
        int count = src.remaining();
        int offset = checkAccess(pos, count);
        switch (VfioRegions.index(pos)) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> config.write(src, offset);
            case VFIO_PCI_BAR2_REGION_INDEX -> {
                if (count != Descriptor.SIZE || offset % Descriptor.SIZE != 0) {
                    throw new ErrnoException(Errno.EINVAL, "a portal takes one 64-byte aligned write per descriptor, not "
                            + count + " byte(s) at 0x" + Integer.toHexString(offset));
                }
                submit(Descriptor.decode(src));
            }
            default -> {
                // BAR0's registers are read-only: writes are dropped, as the device drops them
            }
        }
        src.position(src.limit());
        return count;
    }

    // ---- the engine -----------------------------------------------------------------------

    /** A DMA access the IOMMU refused: the address it faulted on, and what was done before. */
    private static final class Fault extends Exception {
        private static final long serialVersionUID = 1L;
        final long address;
        final int done;

        Fault(long address, int done) {
            super(null, null, false, false);
            this.address = address;
            this.done = done;
        }
    }

    private void submit(Descriptor d) {
        int status = d.check();
        int done = 0;
        long fault = 0;
        if (status == Descriptor.STATUS_NONE && dma == null) {
            status = Descriptor.STATUS_NO_IOMMU;
        }
        if (status == Descriptor.STATUS_NONE) {
            try {
                done = run(d);
                status = Descriptor.STATUS_SUCCESS;
            } catch (Fault f) {
                status = Descriptor.STATUS_PAGE_FAULT;
                fault = f.address;
                done = f.done;
            }
        }
        // Without RCR the record is written only when something went wrong (DSA's rule).
        boolean recordWanted = (d.flags() & Descriptor.FLAG_CRAV) != 0
                && ((d.flags() & Descriptor.FLAG_RCR) != 0 || status != Descriptor.STATUS_SUCCESS)
                && dma != null && status != Descriptor.STATUS_INVALID_COMPLETION_ADDR;
        if (recordWanted) {
            record.clear();
            record.put(new byte[Descriptor.COMPLETION_RECORD_SIZE]).clear();
            record.put(0, (byte) status).putInt(4, done).putLong(8, fault);
            try {
                move(d.pasid(), d.completionAddr(), record.array(), Descriptor.COMPLETION_RECORD_SIZE, true);
            } catch (Fault f) {
                // The record is lost; the registers tell, naming the first fault of the descriptor.
                if (status != Descriptor.STATUS_PAGE_FAULT) {
                    status = Descriptor.STATUS_PAGE_FAULT;
                    fault = f.address;
                }
            }
        }
        lastStatus = status;
        faultAddr = fault;
        completed++;
        bytesMoved += done;
        if ((d.flags() & Descriptor.FLAG_RCI) != 0 && msiTrigger != null) {
            msiTrigger.signal();
        }
    }

    /** Runs a valid descriptor; returns the bytes it moved. */
    private int run(Descriptor d) throws Fault {
        int size = d.xferSize();
        switch (d.opcode()) {
            case Descriptor.OPCODE_MEMMOVE -> {
                // Read all, then write all: overlapping source and destination move as memmove.
                move(d.pasid(), d.src(), staging, size, false);
                move(d.pasid(), d.dst(), staging, size, true);
                return size;
            }
            case Descriptor.OPCODE_MEMFILL -> {
                for (int i = 0; i < size; i++) {
                    staging[i] = (byte) (d.src() >>> (8 * (i & 7)));
                }
                move(d.pasid(), d.dst(), staging, size, true);
                return size;
            }
            default -> {
                return 0;   // NOOP
            }
        }
    }

    /** Moves {@code length} bytes between guest virtual memory of {@code pasid} and {@code buffer}, page by page. */
    private void move(int pasid, long address, byte[] buffer, int length, boolean toGuest) throws Fault {
        int prot = toGuest ? VfioDma.IOMMU_WRITE : VfioDma.IOMMU_READ;
        for (int done = 0; done < length;) {
            long at = address + done;
            int chunk = (int) Math.min(length - done, PAGE - (at & (PAGE - 1)));
            try {
                long iova = dma.translatePasid(physicalDevice, pasid, at, prot);
                if (toGuest) {
                    dma.write(iova, ByteBuffer.wrap(buffer, done, chunk));
                } else {
                    dma.read(iova, ByteBuffer.wrap(buffer, done, chunk));
                }
            } catch (ErrnoException refused) {
                throw new Fault(at, toGuest ? done : 0);
            }
            done += chunk;
        }
    }

    // ---- ioctls ---------------------------------------------------------------------------

    /** Only MSI, one vector: the completion interrupt a descriptor requests with RCI. */
    @Override
    public VfioIrqInfo getIrqInfo(int index) {
        if (index == VFIO_PCI_MSI_IRQ_INDEX) {
            return new VfioIrqInfo(index, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE, 1);
        }
        if (index >= 0 && index < VFIO_PCI_NUM_IRQS) {
            return new VfioIrqInfo(index, 0, 0);
        }
        throw new ErrnoException(Errno.EINVAL, "mdsa has no irq index " + index);
    }

    @Override
    public synchronized void setIrqs(VfioIrqSet set) {
        checkAlive();
        if (set.index() != VFIO_PCI_MSI_IRQ_INDEX || set.action() != VFIO_IRQ_SET_ACTION_TRIGGER) {
            throw new ErrnoException(Errno.EINVAL, "mdsa signals only MSI (index 1) by trigger, not index " + set.index()
                    + " action 0x" + Integer.toHexString(set.action()));
        }
        if (set.dataType() == VFIO_IRQ_SET_DATA_EVENTFD) {
            msiTrigger = set.eventFds()[0];
        } else if (set.count() == 0) {
            msiTrigger = null;
        } else if (msiTrigger != null && (set.dataType() == VFIO_IRQ_SET_DATA_NONE || set.bools()[0])) {
            msiTrigger.signal();
        }
    }

    /** VFIO_DEVICE_RESET: registers and config to power-on state; the MSI eventfd stays. */
    @Override
    public synchronized void reset() {
        checkAlive();
        config.reset();
        lastStatus = 0;
        faultAddr = 0;
        completed = 0;
        bytesMoved = 0;
    }
}
