package vendor.ccw.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vendor.ccw.Ccw;
import vfio.core.VfioDma;

/**
 * A guest's channel program as cp.c handles it: fetched from guest memory by IOVA (prefetch
 * mode, format-1 CCWs), TICs followed (also back into CCWs already fetched, so loops are
 * translated once), every data address turned into an IDAL of page-bounded pieces (IDAWs
 * checked, direct addresses split at page boundaries) whose pages are pinned through the
 * IOMMU, then run on the device with its data moved through the IOMMU, and unpinned by
 * {@link #free}. A failure part-way unpins everything this program pinned.
 */
final class ChannelProgram {
    /** CCWCHAIN_LEN_MAX: CCWs in one chain (up to a TIC or the end). */
    static final int CCWCHAIN_LEN_MAX = 256;
    static final int PAGE = 4096;
    /** A program that executes more CCWs than this (a TIC loop) ends with a program check. */
    static final int MAX_EXECUTED = 1 << 16;

    /** A translated CCW: its guest address, the CCW, and its data as IOVA pieces (the host IDAL). */
    record Translated(int address, Ccw.Ccw1 ccw, long[] pieceIova, int[] pieceLength) {
    }

    /** How a program ended: the SCSW's device and subchannel status, CPA and residual count. */
    record Result(int dstat, int cstat, int cpa, int residual) {
    }

    private final VfioDma dma;
    private final int start;
    private final Map<Integer, Translated> ccws = new HashMap<>();
    private final List<Long> pinned = new ArrayList<>();

    private ChannelProgram(VfioDma dma, int start) {
        this.dma = dma;
        this.start = start;
    }

    /** cp_init + cp_prefetch. EOPNOTSUPP for transport mode, no prefetch or format-0 CCWs. */
    static ChannelProgram translate(Ccw.Orb orb, VfioDma dma) {
        if (orb.transportMode()) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "transport mode is not supported");
        }
        if (!orb.prefetch()) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "only prefetch mode is supported");
        }
        if (!orb.format1()) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "format-0 CCWs are not supported");
        }
        ChannelProgram cp = new ChannelProgram(dma, orb.cpa());
        try {
            cp.fetch(orb.cpa(), orb.c64(), orb.i2k());
        } catch (RuntimeException e) {
            cp.free();
            throw e;
        }
        return cp;
    }

    int ccwCount() {
        return ccws.size();
    }

    int pinnedPages() {
        return pinned.size();
    }

    private Ccw.Ccw1 read(int address) {
        if ((address & 7) != 0) {
            throw new ErrnoException(Errno.EINVAL, "CCW address 0x" + Integer.toHexString(address) + " is not doubleword aligned");
        }
        ByteBuffer eight = ByteBuffer.allocate(Ccw.Ccw1.SIZE);
        dma.read(Integer.toUnsignedLong(address), eight);
        return Ccw.Ccw1.decode(eight.flip());
    }

    private void fetch(int first, boolean c64, boolean i2k) {
        Deque<Integer> chains = new ArrayDeque<>();
        chains.add(first);
        while (!chains.isEmpty()) {
            int at = chains.poll();
            for (int length = 0; !ccws.containsKey(at); at += Ccw.Ccw1.SIZE) {
                if (++length > CCWCHAIN_LEN_MAX) {
                    throw new ErrnoException(Errno.EINVAL, "chain at 0x" + Integer.toHexString(at) + " is longer than "
                            + CCWCHAIN_LEN_MAX + " CCWs");
                }
                Ccw.Ccw1 ccw = read(at);
                if (ccw.cmd() == Ccw.CMD_TIC) {
                    if (read(ccw.cda()).cmd() == Ccw.CMD_TIC) {
                        throw new ErrnoException(Errno.EINVAL, "TIC at 0x" + Integer.toHexString(at) + " to a TIC");
                    }
                    ccws.put(at, new Translated(at, ccw, new long[0], new int[0]));
                    chains.add(ccw.cda());
                    break;
                }
                ccws.put(at, translateData(at, ccw, c64, i2k));
                if (!ccw.chains()) {
                    break;
                }
            }
        }
    }

    /**
     * The CCW's data as page-bounded IOVA pieces, every page pinned. As ccwchain_calc_length,
     * an IDA CCW needs 64-bit 4K IDAWs (c64 set, i2k clear): EOPNOTSUPP otherwise.
     */
    private Translated translateData(int at, Ccw.Ccw1 ccw, boolean c64, boolean i2k) {
        if (ccw.has(Ccw.CCW_FLAG_IDA) && (!c64 || i2k)) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "the IDA CCW at 0x" + Integer.toHexString(at)
                    + " needs 64-bit 4K IDAWs; the ORB has c64=" + c64 + " i2k=" + i2k);
        }
        if (ccw.count() == 0 || ccw.cmd() == Ccw.CMD_NOP) {
            return new Translated(at, ccw, new long[0], new int[0]);
        }
        List<long[]> pieces = new ArrayList<>();
        if (ccw.has(Ccw.CCW_FLAG_IDA)) {
            long first = idaw(ccw.cda());
            int inFirst = (int) Math.min(ccw.count(), PAGE - (first % PAGE));
            pieces.add(new long[] { first, inFirst });
            int left = ccw.count() - inFirst;
            for (int i = 1; left > 0; i++) {
                long address = idaw(ccw.cda() + i * 8);
                if (address % PAGE != 0) {
                    throw new ErrnoException(Errno.EINVAL, "IDAW " + i + " of the CCW at 0x" + Integer.toHexString(at)
                            + " is not on a page boundary: 0x" + Long.toHexString(address));
                }
                int n = Math.min(left, PAGE);
                pieces.add(new long[] { address, n });
                left -= n;
            }
        } else {
            // A direct CCW gets an IDAL too, split at page boundaries (cp.c does the same).
            long address = Integer.toUnsignedLong(ccw.cda());
            for (int left = ccw.count(); left > 0;) {
                int n = (int) Math.min(left, PAGE - (address % PAGE));
                pieces.add(new long[] { address, n });
                address += n;
                left -= n;
            }
        }
        long[] iova = new long[pieces.size()];
        int[] length = new int[pieces.size()];
        for (int i = 0; i < iova.length; i++) {
            iova[i] = pieces.get(i)[0];
            length[i] = (int) pieces.get(i)[1];
            pin(iova[i], length[i]);
        }
        return new Translated(at, ccw, iova, length);
    }

    /** A format-2 IDAW: 64-bit, big-endian, read from guest memory. */
    private long idaw(int address) {
        ByteBuffer b = ByteBuffer.allocate(8);
        dma.read(Integer.toUnsignedLong(address), b);
        return b.flip().getLong();
    }

    private void pin(long iova, int length) {
        for (long page = iova / PAGE; page <= (iova + length - 1) / PAGE; page++) {
            dma.pinPages(new long[] { page }, VfioDma.IOMMU_READ | VfioDma.IOMMU_WRITE);
            pinned.add(page);
        }
    }

    /** Whether this program holds a pin in {@code [iova, iova + size)}. */
    boolean pins(long iova, long size) {
        for (long page : pinned) {
            if (page * PAGE >= iova && page * PAGE < iova + size) {
                return true;
            }
        }
        return false;
    }

    /** cp_free: every pin goes. */
    void free() {
        for (long page : pinned) {
            dma.unpinPages(new long[] { page });
        }
        pinned.clear();
    }

    /**
     * Runs the program on {@code device}: command chaining (CC) moves to the next CCW, data
     * chaining (CD) continues one transfer over several CCWs, SKIP drops read data, a length
     * the device cannot match ends the program with incorrect length unless SLI. A command
     * the device does not know ends with unit check. {@code cancelled} is polled between CCWs.
     */
    Result run(BlockDevice device, java.util.function.BooleanSupplier cancelled) {
        device.startProgram();
        int at = start;
        int last = start;
        for (int executed = 0;; executed++) {
            if (executed > MAX_EXECUTED) {
                return new Result(0, Ccw.SCHN_STAT_PROG_CHECK, last + Ccw.Ccw1.SIZE, 0);
            }
            if (cancelled.getAsBoolean()) {
                return new Result(0, 0, last + Ccw.Ccw1.SIZE, 0);
            }
            Translated t = ccws.get(at);
            if (t.ccw().cmd() == Ccw.CMD_TIC) {
                at = t.ccw().cda();
                continue;
            }
            int cmd = t.ccw().cmd();
            if (!device.knows(cmd)) {
                device.reject();
                return new Result(Ccw.DEV_STAT_CHN_END | Ccw.DEV_STAT_DEV_END | Ccw.DEV_STAT_UNIT_CHECK, 0,
                        at + Ccw.Ccw1.SIZE, t.ccw().count());
            }
            // A data chain that TICs back into itself never ends: it counts against the same
            // bound as an endless command chain, so it ends in a program check too.
            List<Translated> group = new ArrayList<>();
            group.add(t);
            while (group.get(group.size() - 1).ccw().has(Ccw.CCW_FLAG_CD)) {
                Translated next = ccws.get(group.get(group.size() - 1).address() + Ccw.Ccw1.SIZE);
                while (next.ccw().cmd() == Ccw.CMD_TIC && ++executed <= MAX_EXECUTED) {
                    next = ccws.get(next.ccw().cda());
                }
                if (++executed > MAX_EXECUTED) {
                    return new Result(0, Ccw.SCHN_STAT_PROG_CHECK, last + Ccw.Ccw1.SIZE, 0);
                }
                group.add(next);
            }
            Translated tail = group.get(group.size() - 1);
            last = tail.address();
            long total = 0;
            for (Translated g : group) {
                total += g.ccw().count();
            }
            int available = device.available(cmd);
            int transfer = (int) Math.min(total, available);
            move(device, cmd, group, transfer);
            boolean fixedSize = cmd != Ccw.CMD_READ && cmd != Ccw.CMD_WRITE && cmd != Ccw.CMD_NOP;
            boolean incorrect = transfer < total || (fixedSize && total != available);
            int residual = (int) Math.min(total - transfer, 0xffff);
            if (incorrect && !tail.ccw().has(Ccw.CCW_FLAG_SLI)) {
                return new Result(Ccw.DEV_STAT_CHN_END | Ccw.DEV_STAT_DEV_END, Ccw.SCHN_STAT_INCORR_LEN,
                        last + Ccw.Ccw1.SIZE, residual);
            }
            if (!tail.ccw().has(Ccw.CCW_FLAG_CC)) {
                return new Result(Ccw.DEV_STAT_CHN_END | Ccw.DEV_STAT_DEV_END, 0, last + Ccw.Ccw1.SIZE, residual);
            }
            at = last + Ccw.Ccw1.SIZE;
        }
    }

    /** Moves {@code transfer} bytes between the device and the group's IDAL pieces. */
    private void move(BlockDevice device, int cmd, List<Translated> group, int transfer) {
        ByteBuffer buffer = ByteBuffer.allocate(transfer);
        boolean read = BlockDevice.isRead(cmd);
        if (read) {
            device.produce(cmd, buffer);
            buffer.flip();
        }
        int left = transfer;
        for (Translated g : group) {
            boolean skip = read && g.ccw().has(Ccw.CCW_FLAG_SKIP);
            for (int i = 0; i < g.pieceIova().length && left > 0; i++) {
                int n = Math.min(left, g.pieceLength()[i]);
                ByteBuffer piece = buffer.duplicate();
                piece.limit(piece.position() + n);
                if (read && !skip) {
                    dma.write(g.pieceIova()[i], piece);
                } else if (!read) {
                    dma.read(g.pieceIova()[i], piece);
                }
                buffer.position(buffer.position() + n);
                left -= n;
            }
        }
        if (!read) {
            buffer.flip();
            device.consume(cmd, buffer);
        }
    }
}
