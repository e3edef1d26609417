package vendor.ccw.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vendor.ccw.Ccw;
import vfio.core.VfioDma;
import vfio.core.VfioDmaUnmapListener;
import vfio.core.VmAddressSpace;

/** cp.c's translation and the device run, on channel programs a guest helper builds in guest memory. */
class ChannelProgramTest {
    static final long MEM = 0x10_0000;
    static final int SIZE = 0x10_0000;

    /** A VfioDma where IOVA = guest address over one mapped range, counting pins. */
    static final class GuestDma implements VfioDma {
        final VmAddressSpace memory = new VmAddressSpace("guest");
        final Map<Long, Integer> pins = new java.util.concurrent.ConcurrentHashMap<>();
        final java.util.List<VfioDmaUnmapListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

        GuestDma() {
            memory.allocate(MEM, SIZE);
        }

        private void check(long iova, long length) {
            if (iova < MEM || iova + length > MEM + SIZE) {
                throw new ErrnoException(Errno.EFAULT, "no mapping at 0x" + Long.toHexString(iova));
            }
        }

        /** Runs before each pin, so a test can hold translation in CP_PROCESSING. */
        volatile Runnable beforePin = () -> { };

        public long[] pinPages(long[] pfns, int prot) {
            beforePin.run();
            for (long pfn : pfns) {
                if (pfn * 4096 < MEM || pfn * 4096 >= MEM + SIZE) {
                    throw new ErrnoException(Errno.EINVAL, "no mapping at page 0x" + Long.toHexString(pfn));
                }
            }
            for (long pfn : pfns) {
                pins.merge(pfn, 1, Integer::sum);
            }
            return pfns.clone();
        }

        public int unpinPages(long[] pfns) {
            for (long pfn : pfns) {
                pins.computeIfPresent(pfn, (k, n) -> n > 1 ? n - 1 : null);
            }
            return pfns.length;
        }

        public void read(long iova, ByteBuffer dst) {
            check(iova, dst.remaining());
            memory.read(iova, dst);
        }

        public void write(long iova, ByteBuffer src) {
            check(iova, src.remaining());
            dirtyFrom = Math.min(dirtyFrom, iova);
            dirtyTo = Math.max(dirtyTo, iova + src.remaining());
            memory.write(iova, src);
        }

        /** The span devices wrote through {@link #write} since {@link #zeroDirty}. */
        private long dirtyFrom = Long.MAX_VALUE;
        private long dirtyTo = Long.MIN_VALUE;

        /** Zeroes what devices wrote since the last call (a fuzzer's next input starts from zeros without clearing 1 MiB). */
        void zeroDirty() {
            if (dirtyFrom < dirtyTo) {
                memory.write(dirtyFrom, ByteBuffer.allocate((int) (dirtyTo - dirtyFrom)));
            }
            dirtyFrom = Long.MAX_VALUE;
            dirtyTo = Long.MIN_VALUE;
        }

        public void addUnmapListener(VfioDmaUnmapListener l) {
            listeners.add(l);
        }

        public void removeUnmapListener(VfioDmaUnmapListener l) {
            listeners.remove(l);
        }

        /** What type1 does before an unmap: tells the listeners, then the pins must be gone. */
        void unmap(long iova, long size) {
            listeners.forEach(l -> l.dmaUnmapped(iova, size));
        }
    }

    final GuestDma dma = new GuestDma();
    final BlockDevice device = new BlockDevice(64 * 1024);

    @AfterEach
    void noPageStaysPinned() {
        assertThat(dma.pins).as("pins left behind").isEmpty();
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    /** The guest-side helper: writes CCWs, IDALs and data into guest memory. */
    void ccw(long at, int cmd, int flags, int count, long cda) {
        ByteBuffer b = ByteBuffer.allocate(8);
        new Ccw.Ccw1(cmd, flags, count, (int) cda).encode(b);
        dma.memory.write(at, b);
    }

    void idal64(long at, long... idaws) {
        ByteBuffer b = ByteBuffer.allocate(8 * idaws.length).order(ByteOrder.BIG_ENDIAN);
        for (long a : idaws) {
            b.putLong(a);
        }
        dma.memory.write(at, b.flip());
    }

    static Ccw.Orb orb(long cpa) {
        return new Ccw.Orb(0x1234, 0, true, true, true, false, 0xff, false, false, false, (int) cpa);
    }

    ChannelProgram.Result run(long cpa) {
        ChannelProgram cp = ChannelProgram.translate(orb(cpa), dma);
        try {
            return cp.run(device, () -> false);
        } finally {
            cp.free();
        }
    }

    byte[] guest(long at, int n) {
        ByteBuffer b = ByteBuffer.allocate(n);
        dma.memory.read(at, b);
        return b.array();
    }

    @Test
    void aWriteThenReadChainMovesDataThroughTheIommu() {
        byte[] text = "hello, channel".getBytes(StandardCharsets.US_ASCII);
        dma.memory.write(MEM + 0x2000, ByteBuffer.wrap(text));
        long prog = MEM;
        ccw(prog, Ccw.CMD_WRITE, Ccw.CCW_FLAG_CC, text.length, MEM + 0x2000);
        ccw(prog + 8, Ccw.CMD_SEEK, Ccw.CCW_FLAG_CC, 8, MEM + 0x3000);
        ccw(prog + 16, Ccw.CMD_READ, 0, text.length, MEM + 0x4000);
        ChannelProgram.Result r = run(prog);
        assertThat(r.dstat()).isEqualTo(Ccw.DEV_STAT_CHN_END | Ccw.DEV_STAT_DEV_END);
        assertThat(r.cstat()).isZero();
        assertThat(r.cpa()).as("past the last CCW").isEqualTo((int) (prog + 24));
        assertThat(guest(MEM + 0x4000, text.length)).isEqualTo(text);
        assertThat(device.contents(0, text.length)).isEqualTo(text);
    }

    @Test
    void aDirectCcwAcrossAPageBoundaryIsSplitAndPinnedPageByPage() {
        long prog = MEM;
        ccw(prog, Ccw.CMD_READ, 0, 6000, MEM + 0x2f00);
        ChannelProgram cp = ChannelProgram.translate(orb(prog), dma);
        assertThat(cp.pinnedPages()).as("0x2f00..0x476f touches three pages").isEqualTo(3);
        cp.free();
    }

    @Test
    void idalsAcrossPagesAndDataChaining() {
        device.consume(Ccw.CMD_WRITE, ByteBuffer.wrap(new byte[8192]).put(0, (byte) 7).put(5000, (byte) 9));
        long prog = MEM;
        idal64(MEM + 0x800, MEM + 0x5f00, MEM + 0x6000);
        ccw(prog, Ccw.CMD_READ, Ccw.CCW_FLAG_IDA | Ccw.CCW_FLAG_CD, 4352, MEM + 0x800);   // 0x100 + 0x1000
        ccw(prog + 8, Ccw.CMD_READ, Ccw.CCW_FLAG_SKIP | Ccw.CCW_FLAG_CD, 600, MEM + 0x8000);
        ccw(prog + 16, Ccw.CMD_READ, 0, 100, MEM + 0x9000);
        ChannelProgram.Result r = run(prog);
        assertThat(r.cstat()).isZero();
        assertThat(guest(MEM + 0x5f00, 1)[0]).isEqualTo((byte) 7);
        assertThat(guest(MEM + 0x8000, 1)[0]).as("SKIP stores nothing").isZero();
        assertThat(guest(MEM + 0x9000 + (5000 - 4352 - 600), 1)[0]).isEqualTo((byte) 9);
    }

    @Test
    void ticLoopsAreTranslatedOnceAndEndInAProgramCheckWhenTheyNeverStop() {
        long prog = MEM;
        ccw(prog, Ccw.CMD_NOP, Ccw.CCW_FLAG_CC, 0, 0);
        ccw(prog + 8, Ccw.CMD_TIC, 0, 0, prog);
        ChannelProgram cp = ChannelProgram.translate(orb(prog), dma);
        assertThat(cp.ccwCount()).isEqualTo(2);
        assertThat(cp.run(device, () -> false).cstat()).isEqualTo(Ccw.SCHN_STAT_PROG_CHECK);
        cp.free();
    }

    @Test
    void aDataChainThatTicsBackIntoItselfEndsInAProgramCheck() {
        // Found by the fuzzer: READ with CD, then a TIC back to it, transferred forever.
        ccw(MEM, Ccw.CMD_READ, Ccw.CCW_FLAG_CD, 16, MEM + 0x2000);
        ccw(MEM + 8, Ccw.CMD_TIC, 0, 0, MEM);
        assertThat(run(MEM).cstat()).isEqualTo(Ccw.SCHN_STAT_PROG_CHECK);
    }

    @Test
    void incorrectLengthUnlessSli() {
        ccw(MEM, Ccw.CMD_SENSE_ID, 0, 4, MEM + 0x2000);
        assertThat(run(MEM).cstat()).isEqualTo(Ccw.SCHN_STAT_INCORR_LEN);
        ccw(MEM, Ccw.CMD_SENSE_ID, Ccw.CCW_FLAG_SLI, 4, MEM + 0x2000);
        assertThat(run(MEM).cstat()).isZero();
        assertThat(guest(MEM + 0x2000, 4)).containsExactly(0xff, 0x39, 0x90, 0xe9);
    }

    @Test
    void anUnknownCommandIsAUnitCheckAndSenseSaysCommandReject() {
        ccw(MEM, 0x27, 0, 4, MEM + 0x2000);
        assertThat(run(MEM).dstat() & Ccw.DEV_STAT_UNIT_CHECK).isNotZero();
        ccw(MEM, Ccw.CMD_SENSE, 0, 32, MEM + 0x2000);
        run(MEM);
        assertThat(guest(MEM + 0x2000, 1)[0]).isEqualTo(BlockDevice.SENSE_COMMAND_REJECT);
    }

    @Test
    void aChainOf256IsFineAnd257IsEinval() {
        for (int i = 0; i < 256; i++) {
            ccw(MEM + 8L * i, Ccw.CMD_NOP, i < 255 ? Ccw.CCW_FLAG_CC : 0, 0, 0);
        }
        assertThat(run(MEM).cstat()).isZero();
        ccw(MEM + 8L * 255, Ccw.CMD_NOP, Ccw.CCW_FLAG_CC, 0, 0);
        ccw(MEM + 8L * 256, Ccw.CMD_NOP, 0, 0, 0);
        assertErrno(Errno.EINVAL, () -> ChannelProgram.translate(orb(MEM), dma));
    }

    @Test
    void badAddressesFailCleanlyWithNothingPinned() {
        ccw(MEM, Ccw.CMD_READ, Ccw.CCW_FLAG_CC, 16, MEM + 0x2000);
        ccw(MEM + 8, Ccw.CMD_READ, 0, 16, 0x7000_0000L);
        assertErrno(Errno.EINVAL, () -> ChannelProgram.translate(orb(MEM), dma));
        assertErrno(Errno.EFAULT, () -> ChannelProgram.translate(orb(0x7000_0000L), dma));
        ccw(MEM, Ccw.CMD_TIC, 0, 0, MEM + 8);
        ccw(MEM + 8, Ccw.CMD_TIC, 0, 0, MEM);
        assertErrno(Errno.EINVAL, () -> ChannelProgram.translate(orb(MEM), dma));
        idal64(MEM + 0x800, MEM + 0x5f00, MEM + 0x6100);
        ccw(MEM, Ccw.CMD_READ, Ccw.CCW_FLAG_IDA, 4352, MEM + 0x800);
        assertErrno(Errno.EINVAL, () -> ChannelProgram.translate(orb(MEM), dma));
    }

    @Test
    void unsupportedOrbsAnswerEopnotsupp() {
        assertErrno(Errno.EOPNOTSUPP, () -> ChannelProgram.translate(
                new Ccw.Orb(0, 0, true, true, true, false, 0xff, true, false, false, (int) MEM), dma));
        assertErrno(Errno.EOPNOTSUPP, () -> ChannelProgram.translate(
                new Ccw.Orb(0, 0, true, false, true, false, 0xff, false, false, false, (int) MEM), dma));
        assertErrno(Errno.EOPNOTSUPP, () -> ChannelProgram.translate(
                new Ccw.Orb(0, 0, false, true, true, false, 0xff, false, false, false, (int) MEM), dma));
    }

    @Test
    void idaNeedsSixtyFourBitFourKIdaws() {
        idal64(MEM + 0x800, MEM + 0x5000);
        ccw(MEM, Ccw.CMD_READ, Ccw.CCW_FLAG_IDA, 16, MEM + 0x800);
        assertErrno(Errno.EOPNOTSUPP, () -> ChannelProgram.translate(
                new Ccw.Orb(0, 0, true, true, false, false, 0xff, false, false, false, (int) MEM), dma));
        assertErrno(Errno.EOPNOTSUPP, () -> ChannelProgram.translate(
                new Ccw.Orb(0, 0, true, true, true, true, 0xff, false, false, false, (int) MEM), dma));
        ccw(MEM, Ccw.CMD_READ, 0, 16, MEM + 0x5000);
        ChannelProgram.translate(new Ccw.Orb(0, 0, true, true, false, false, 0xff, false, false, false, (int) MEM), dma)
                .free();
    }

    @Test
    void theOrbAndScswLayouts() {
        ByteBuffer b = ByteBuffer.allocate(12);
        new Ccw.Orb(0x11223344, 0, true, true, true, false, 0x80, false, false, false, 0x00100000).encode(b);
        // word 1: fmt (bit 8) 0x00800000 | pfch (bit 9) 0x00400000 | c64 (bit 14) 0x00020000 | lpm 0x80 << 8
        assertThat(b.array()).containsExactly(0x11, 0x22, 0x33, 0x44, 0x00, 0xc2, 0x80, 0x00, 0x00, 0x10, 0x00, 0x00);
        assertThat(Ccw.Orb.decode(b).cpa()).isEqualTo(0x00100000);
        ByteBuffer s = ByteBuffer.allocate(12);
        new Ccw.Scsw(Ccw.SCSW_FCTL_START_FUNC, 0, Ccw.SCSW_STCTL_PRIM_STATUS | Ccw.SCSW_STCTL_SEC_STATUS
                | Ccw.SCSW_STCTL_STATUS_PEND, 0x100018, 0x0c, 0, 5).encode(s);
        assertThat(s.array()).containsExactly(0x00, 0x00, 0x40, 0x07, 0x00, 0x10, 0x00, 0x18, 0x0c, 0x00, 0x00, 0x05);
        assertThat(Ccw.Scsw.decode(s).count()).isEqualTo(5);
    }
}
