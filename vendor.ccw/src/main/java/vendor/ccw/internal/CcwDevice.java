package vendor.ccw.internal;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vendor.ccw.Ccw;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioDeviceIoctls;
import vfio.core.VfioDeviceOps;
import vfio.core.VfioDma;
import vfio.core.VfioDmaUnmapListener;
import vfio.core.VfioIoctlCodec;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegionInfo;
import vfio.core.VfioRegions;

/**
 * An mdev of a subchannel (vfio_ccw_ops.c with the device FSM of vfio_ccw_fsm.c). It is in
 * STANDBY until opened and again after its release (the kernel's OPEN and CLOSE events), IDLE
 * while open with nothing in flight, NOT_OPER once removed. Writing the
 * I/O region submits the ORB in it: from IDLE the channel program is translated (state
 * CP_PROCESSING) and started (CP_PENDING) on the subchannel's executor; its end writes the IRB,
 * returns to IDLE and signals the I/O interrupt. Errors go to ret_code as the kernel answers
 * them: EAGAIN while processing, EBUSY while pending, EIO when not operational or in standby,
 * EOPNOTSUPP for halt/clear through the I/O region, ENODEV or EACCES when the device or path is
 * not operational, and translation's EINVAL, EFAULT, EOPNOTSUPP. HALT and CLEAR go through the
 * async command region. Every page a program pins is unpinned when it ends, is halted, or is
 * cut short by an unmap or by the device going away.
 */
final class CcwDevice implements VfioDeviceOps, VfioDeviceIoctls {
    enum State { NOT_OPER, STANDBY, IDLE, CP_PROCESSING, CP_PENDING }

    static final int ASYNC_REGION_INDEX = Ccw.VFIO_CCW_NUM_REGIONS;
    static final int SCHIB_REGION_INDEX = ASYNC_REGION_INDEX + 1;
    static final int CRW_REGION_INDEX = ASYNC_REGION_INDEX + 2;
    static final int NUM_REGIONS = CRW_REGION_INDEX + 1;

    private final Subchannel subchannel;
    private final ExecutorService executor;
    private final byte[] io = new byte[Ccw.IO_REGION_SIZE];
    private final byte[] cmd = new byte[Ccw.CMD_REGION_SIZE];
    private final byte[] schib = new byte[Ccw.SCHIB_REGION_SIZE];
    private final byte[] crw = new byte[Ccw.CRW_REGION_SIZE];
    /** Channel reports not yet read by the guest (the kernel's private->crw list). */
    private final java.util.ArrayDeque<Integer> reports = new java.util.ArrayDeque<>();
    private final VfioDmaUnmapListener unpinOnUnmap = this::dmaUnmapped;

    private State state = State.STANDBY;
    private VfioDma dma;
    private EventFd ioTrigger;
    private EventFd crwTrigger;
    private ChannelProgram program;
    private Ccw.Orb orb;
    private Future<?> running;
    /** The function (HALT or CLEAR) that ends the program in flight, 0 while none does. */
    private volatile int cancelFunction;
    /** Or-ed into cancelFunction when the end is not reported (release, reset, removal). */
    private static final int UNREPORTED = 0x100;

    CcwDevice(Subchannel subchannel, ExecutorService executor) {
        this.subchannel = subchannel;
        this.executor = executor;
    }

    synchronized State state() {
        return state;
    }

    // ---- life --------------------------------------------------------------------------

    @Override
    public void open() {
        throw new ErrnoException(Errno.EINVAL, "vfio-ccw needs a container with an IOMMU to open");
    }

    /** vfio_ccw_mdev_open: registers for DMA unmaps, so it needs the container's IOMMU. */
    @Override
    public synchronized void open(VfioDeviceContext context) {
        if (state == State.NOT_OPER) {
            throw new ErrnoException(Errno.ENODEV, "subchannel " + subchannel.schid() + " is not operational");
        }
        VfioDma access = context.dma();
        access.addUnmapListener(unpinOnUnmap);
        dma = access;
        state = State.IDLE;
    }

    @Override
    public void release() {
        finishProgram(Ccw.SCSW_FCTL_CLEAR_FUNC, false);
        synchronized (this) {
            if (dma != null) {
                dma.removeUnmapListener(unpinOnUnmap);
                dma = null;
            }
            ioTrigger = null;
            crwTrigger = null;
            reports.clear();
            if (state != State.NOT_OPER) {
                state = State.STANDBY;
            }
        }
    }

    /** The mdev goes (remove or the parent going): NOT_OPER, the program ended, its pins gone. */
    void markRemoved() {
        synchronized (this) {
            state = State.NOT_OPER;
        }
        finishProgram(Ccw.SCSW_FCTL_CLEAR_FUNC, false);
    }

    /**
     * Ends the program in flight, if any: asks it to stop between CCWs and waits for it, or
     * frees it if it never started. {@code report} says whether its end is reported as an
     * interrupt (HALT/CLEAR) or silently dropped (release, removal). Returns whether a
     * program was in flight.
     */
    private boolean finishProgram(int function, boolean report) {
        Future<?> task;
        synchronized (this) {
            task = running;
            cancelFunction = function | (report ? 0 : UNREPORTED);
        }
        if (task != null) {
            try {
                task.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.CancellationException | java.util.concurrent.ExecutionException e) {
                // ended either way
            } catch (java.util.concurrent.TimeoutException e) {
                task.cancel(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            if (program != null) {
                program.free();
                program = null;
            }
            running = null;
            if (task != null && state == State.CP_PENDING) {
                state = State.IDLE;
            }
        }
        return task != null;
    }

    private void dmaUnmapped(long iova, long size) {
        boolean pinsThere;
        synchronized (this) {
            pinsThere = program != null && program.pins(iova, size);
        }
        if (pinsThere) {
            // The guest took the memory away under a running program: it ends now.
            finishProgram(Ccw.SCSW_FCTL_CLEAR_FUNC, true);
        }
    }

    // ---- regions -----------------------------------------------------------------------

    @Override
    public int read(ByteBuffer dst, long pos) {
        int count = dst.remaining();
        int index = VfioRegions.index(pos);
        EventFd more = null;
        synchronized (this) {
            byte[] region = region(pos, count);
            if (index == SCHIB_REGION_INDEX) {
                storeSubchannel();
            } else if (index == CRW_REGION_INDEX) {
                Integer next = reports.poll();
                ByteBuffer.wrap(crw).order(ByteOrder.BIG_ENDIAN).putInt(0, next == null ? 0 : next);
            }
            dst.put(region, (int) VfioRegions.offset(pos), count);
            if (index == CRW_REGION_INDEX) {
                java.util.Arrays.fill(crw, (byte) 0);
                more = reports.isEmpty() ? null : crwTrigger;
            }
        }
        if (more != null) {
            more.signal();      // more reports are queued: the guest reads again
        }
        return count;
    }

    /**
     * stsch: the SCHIB as the subchannel shows it now. PMCW: intparm; ena, dnv, device number;
     * lpm, pnom, lpum, pim; mbi, pom, pam; chpid[8]; then the SCSW and the model-dependent area.
     */
    private void storeSubchannel() {
        ByteBuffer b = ByteBuffer.wrap(schib).order(ByteOrder.BIG_ENDIAN);
        java.util.Arrays.fill(schib, (byte) 0);
        boolean enabled = state != State.NOT_OPER && state != State.STANDBY;
        int installed = subchannel.installedPaths();
        int operational = subchannel.pathMask();
        b.putInt(4, (enabled ? 1 << 23 : 0) | 1 << 16 | subchannel.deviceNumber());
        b.putInt(8, operational << 24 | installed);
        b.putInt(12, operational << 8 | installed);
        for (int path = 0; path < 8; path++) {
            if ((installed & (0x80 >> path)) != 0) {
                b.put(16 + path, (byte) path);
            }
        }
        if (state == State.CP_PENDING) {
            new Ccw.Scsw(Ccw.SCSW_FCTL_START_FUNC, 0, 0, 0, 0, 0, 0).encode(b.slice(28, 12));
        }
    }

    /** vfio_ccw_queue_crw: queued, and the CRW eventfd signalled. */
    void channelReport(int word) {
        EventFd trigger;
        synchronized (this) {
            if (state == State.NOT_OPER) {
                return;
            }
            reports.add(word);
            trigger = crwTrigger;
        }
        if (trigger != null) {
            trigger.signal();
        }
    }

    private byte[] region(long pos, int count) {
        int index = VfioRegions.index(pos);
        byte[] region = switch (index) {
            case Ccw.VFIO_CCW_CONFIG_REGION_INDEX -> io;
            case ASYNC_REGION_INDEX -> cmd;
            case SCHIB_REGION_INDEX -> schib;
            case CRW_REGION_INDEX -> crw;
            default -> throw new ErrnoException(Errno.EINVAL, "vfio-ccw has no region " + index);
        };
        Ccw.checkRegion(VfioRegions.offset(pos), count, region.length, "region " + index);
        return region;
    }

    @Override
    public int write(ByteBuffer src, long pos) {
        int count = src.remaining();
        int index = VfioRegions.index(pos);
        if (index == SCHIB_REGION_INDEX || index == CRW_REGION_INDEX) {
            throw new ErrnoException(Errno.EINVAL, "region " + index + " of vfio-ccw is read-only");
        }
        synchronized (this) {
            byte[] region = region(pos, count);
            src.get(region, (int) VfioRegions.offset(pos), count);
        }
        int retCode = index == ASYNC_REGION_INDEX ? asyncRequest() : ioRequest();
        if (retCode != 0) {
            throw new ErrnoException(Errno.of(-retCode), "subchannel " + subchannel.schid() + " answered "
                    + Errno.of(-retCode) + " (ret_code " + retCode + ")");
        }
        return count;
    }

    private static void putRet(byte[] region, int at, int retCode) {
        ByteBuffer.wrap(region).order(ByteOrder.BIG_ENDIAN).putInt(at, retCode);
    }

    /** VFIO_CCW_EVENT_IO_REQ in the FSM. */
    private int ioRequest() {
        ChannelProgram translated;
        synchronized (this) {
            int ret = switch (state) {
                case NOT_OPER, STANDBY -> -Errno.EIO.number();
                case CP_PROCESSING -> -Errno.EAGAIN.number();
                case CP_PENDING -> -Errno.EBUSY.number();
                case IDLE -> 0;
            };
            if (ret != 0) {
                putRet(io, Ccw.IO_RET_CODE, ret);
                return ret;
            }
            Ccw.Scsw scsw = Ccw.Scsw.decode(ByteBuffer.wrap(io, Ccw.IO_SCSW, 12).slice());
            if ((scsw.fctl() & Ccw.SCSW_FCTL_START_FUNC) == 0) {
                ret = (scsw.fctl() & (Ccw.SCSW_FCTL_HALT_FUNC | Ccw.SCSW_FCTL_CLEAR_FUNC)) != 0
                        ? -Errno.EOPNOTSUPP.number() : -Errno.EINVAL.number();
                putRet(io, Ccw.IO_RET_CODE, ret);
                return ret;
            }
            if (dma == null) {
                putRet(io, Ccw.IO_RET_CODE, -Errno.EIO.number());
                return -Errno.EIO.number();
            }
            orb = Ccw.Orb.decode(ByteBuffer.wrap(io, Ccw.IO_ORB, 12).slice());
            state = State.CP_PROCESSING;
        }
        try {
            translated = ChannelProgram.translate(orb, dma);
        } catch (ErrnoException e) {
            synchronized (this) {
                state = State.IDLE;
                putRet(io, Ccw.IO_RET_CODE, -e.errno().number());
            }
            return -e.errno().number();
        }
        synchronized (this) {
            // ssch: cc 3 when the device or every path in the ORB's mask is not operational.
            int ret = !subchannel.online() ? -Errno.ENODEV.number()
                    : (orb.lpm() & subchannel.pathMask()) == 0 ? -Errno.EACCES.number() : 0;
            if (ret != 0 || state != State.CP_PROCESSING) {
                translated.free();
                state = state == State.CP_PROCESSING ? State.IDLE : state;
                ret = ret != 0 ? ret : -Errno.ENODEV.number();
                putRet(io, Ccw.IO_RET_CODE, ret);
                return ret;
            }
            program = translated;
            cancelFunction = 0;
            state = State.CP_PENDING;
            putRet(io, Ccw.IO_RET_CODE, 0);
            running = executor.submit(() -> execute(translated));
            return 0;
        }
    }

    /** The subchannel runs the program, then the interrupt. */
    private void execute(ChannelProgram cp) {
        java.util.function.BooleanSupplier cancelled = () -> cancelFunction != 0 || Thread.currentThread().isInterrupted();
        subchannel.pause(cancelled);
        ChannelProgram.Result result;
        synchronized (subchannel.device()) {
            result = cp.run(subchannel.device(), cancelled);
        }
        EventFd trigger;
        synchronized (this) {
            int cancel = cancelFunction;
            if (program != cp) {
                return;
            }
            program = null;
            running = null;
            cp.free();
            if (state == State.CP_PENDING) {
                state = State.IDLE;
            }
            if ((cancel & UNREPORTED) != 0) {
                return;     // released or removed: nobody to tell
            }
            int fctl = cancel != 0 ? cancel : Ccw.SCSW_FCTL_START_FUNC;
            writeIrb(new Ccw.Scsw(fctl, 0, Ccw.SCSW_STCTL_PRIM_STATUS | Ccw.SCSW_STCTL_SEC_STATUS
                    | Ccw.SCSW_STCTL_STATUS_PEND, result.cpa(), result.dstat(), result.cstat(), result.residual()));
            trigger = ioTrigger;
        }
        if (trigger != null) {
            trigger.signal();
        }
    }

    /** The IRB: SCSW, then ESW, ECW and EMW left zero. */
    private void writeIrb(Ccw.Scsw scsw) {
        java.util.Arrays.fill(io, Ccw.IO_IRB, Ccw.IO_IRB + 96, (byte) 0);
        scsw.encode(ByteBuffer.wrap(io, Ccw.IO_IRB, 12).slice());
    }

    /** VFIO_CCW_EVENT_ASYNC_REQ: HSCH or CSCH from the async command region. */
    private int asyncRequest() {
        int command;
        synchronized (this) {
            command = ByteBuffer.wrap(cmd).order(ByteOrder.BIG_ENDIAN).getInt(Ccw.CMD_COMMAND);
            int ret = switch (state) {
                case NOT_OPER, STANDBY -> -Errno.EIO.number();
                case CP_PROCESSING -> -Errno.EAGAIN.number();
                default -> command == Ccw.VFIO_CCW_ASYNC_CMD_HSCH || command == Ccw.VFIO_CCW_ASYNC_CMD_CSCH ? 0
                        : -Errno.EINVAL.number();
            };
            putRet(cmd, Ccw.CMD_RET_CODE, ret);
            if (ret != 0) {
                return ret;
            }
        }
        int function = command == Ccw.VFIO_CCW_ASYNC_CMD_HSCH ? Ccw.SCSW_FCTL_HALT_FUNC : Ccw.SCSW_FCTL_CLEAR_FUNC;
        if (finishProgram(function, true)) {
            return 0;       // the program's own end reports the halt or clear
        }
        EventFd trigger;
        synchronized (this) {
            writeIrb(new Ccw.Scsw(function, 0, Ccw.SCSW_STCTL_STATUS_PEND, 0, 0, 0, 0));
            trigger = ioTrigger;
        }
        if (trigger != null) {
            trigger.signal();
        }
        return 0;
    }

    // ---- ioctls ------------------------------------------------------------------------

    @Override
    public long ioctl(int cmdNumber, ByteBuffer arg, FileTable files) {
        synchronized (this) {
            if (state == State.NOT_OPER) {
                throw new ErrnoException(Errno.ENODEV, "subchannel " + subchannel.schid() + " is not operational");
            }
        }
        return VfioIoctlCodec.dispatch(cmdNumber, arg, files, this);
    }

    @Override
    public VfioDeviceInfo getInfo() {
        return new VfioDeviceInfo(VFIO_DEVICE_FLAGS_CCW | VFIO_DEVICE_FLAGS_RESET, NUM_REGIONS, Ccw.VFIO_CCW_NUM_IRQS);
    }

    @Override
    public VfioRegionInfo getRegionInfo(int index) {
        int rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        return switch (index) {
            case Ccw.VFIO_CCW_CONFIG_REGION_INDEX -> new VfioRegionInfo(index, rw, Ccw.IO_REGION_SIZE,
                    VfioRegions.position(index, 0));
            case ASYNC_REGION_INDEX -> typed(index, rw, Ccw.CMD_REGION_SIZE, Ccw.VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD);
            case SCHIB_REGION_INDEX -> typed(index, VFIO_REGION_INFO_FLAG_READ, Ccw.SCHIB_REGION_SIZE,
                    Ccw.VFIO_REGION_SUBTYPE_CCW_SCHIB);
            case CRW_REGION_INDEX -> typed(index, VFIO_REGION_INFO_FLAG_READ, Ccw.CRW_REGION_SIZE,
                    Ccw.VFIO_REGION_SUBTYPE_CCW_CRW);
            default -> throw new ErrnoException(Errno.EINVAL, "vfio-ccw has no region " + index);
        };
    }

    private static VfioRegionInfo typed(int index, int flags, int size, int subtype) {
        return new VfioRegionInfo(index, flags, size, VfioRegions.position(index, 0),
                List.of(new VfioRegionInfo.Type(Ccw.VFIO_REGION_TYPE_CCW, subtype)));
    }

    @Override
    public VfioIrqInfo getIrqInfo(int index) {
        if (index != Ccw.VFIO_CCW_IO_IRQ_INDEX && index != Ccw.VFIO_CCW_CRW_IRQ_INDEX) {
            throw new ErrnoException(Errno.EINVAL, "vfio-ccw has no irq index " + index);
        }
        return new VfioIrqInfo(index, VFIO_IRQ_INFO_EVENTFD, 1);
    }

    /** The I/O and CRW interrupts: an eventfd each, or a trigger by hand (DATA_NONE/BOOL). */
    @Override
    public synchronized void setIrqs(VfioIrqSet set) {
        if (set.action() != VFIO_IRQ_SET_ACTION_TRIGGER) {
            throw new ErrnoException(Errno.EINVAL, "vfio-ccw interrupts are not maskable");
        }
        boolean io = set.index() == Ccw.VFIO_CCW_IO_IRQ_INDEX;
        EventFd current = io ? ioTrigger : crwTrigger;
        if (set.dataType() == VFIO_IRQ_SET_DATA_EVENTFD) {
            current = set.eventFds()[0];
        } else if (set.count() == 0) {
            current = null;
        } else if (current != null) {
            current.signal();
        }
        if (io) {
            ioTrigger = current;
        } else {
            crwTrigger = current;
        }
    }

    /** vfio_ccw_mdev_reset: the program ends unreported, the subchannel is IDLE again. */
    @Override
    public void reset() {
        finishProgram(Ccw.SCSW_FCTL_CLEAR_FUNC, false);
        synchronized (this) {
            if (state != State.NOT_OPER) {
                state = State.IDLE;
            }
        }
    }
}
