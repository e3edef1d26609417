package vendor.ccw.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static vendor.ccw.internal.ChannelProgramTest.MEM;
import static vendor.ccw.internal.ChannelProgramTest.assertErrno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import vendor.ccw.Ccw;
import vfio.core.EventFd;
import vfio.core.Vfio;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegionInfo;
import vfio.core.VfioRegions;

/** The device FSM of vfio_ccw_fsm.c driven through the I/O and async regions, byte for byte. */
class CcwDeviceTest {
    final ChannelProgramTest.GuestDma dma = new ChannelProgramTest.GuestDma();
    final ExecutorService executor = Executors.newSingleThreadExecutor();
    final EventFd irq = new EventFd();
    CcwDevice device;

    CcwDevice open(Subchannel subchannel) {
        device = new CcwDevice(subchannel, executor);
        device.open(() -> dma);
        device.setIrqs(VfioIrqSet.trigger(Ccw.VFIO_CCW_IO_IRQ_INDEX, 0, irq));
        return device;
    }

    CcwDevice open() {
        return open(new Subchannel("0.0.0100", 64 * 1024, true, 0x80, 0));
    }

    @AfterEach
    void noPageStaysPinned() {
        if (device != null) {
            device.release();
        }
        executor.shutdownNow();
        assertThat(dma.pins).as("pins left behind").isEmpty();
    }

    /** The guest's side of ssch: ORB and an SCSW with the start function in one 124-byte write. */
    static ByteBuffer ioRegion(int fctl, long cpa, int lpm) {
        ByteBuffer region = ByteBuffer.allocate(Ccw.IO_REGION_SIZE);
        new Ccw.Orb(0xcafe, 0, true, true, true, false, lpm, false, false, false, (int) cpa)
                .encode(region.slice(Ccw.IO_ORB, 12));
        new Ccw.Scsw(fctl, 0, 0, 0, 0, 0, 0).encode(region.slice(Ccw.IO_SCSW, 12));
        return region;
    }

    static ByteBuffer command(int cmd) {
        return ByteBuffer.allocate(Ccw.CMD_REGION_SIZE).order(ByteOrder.BIG_ENDIAN).putInt(0, cmd);
    }

    void start(long cpa) {
        assertThat(device.write(ioRegion(Ccw.SCSW_FCTL_START_FUNC, cpa, 0x80), VfioRegions.position(0, 0)))
                .isEqualTo(Ccw.IO_REGION_SIZE);
    }

    byte[] io() {
        ByteBuffer b = ByteBuffer.allocate(Ccw.IO_REGION_SIZE);
        device.read(b, VfioRegions.position(0, 0));
        return b.array();
    }

    Ccw.Scsw irbScsw() {
        return Ccw.Scsw.decode(ByteBuffer.wrap(io(), Ccw.IO_IRB, 12).slice());
    }

    int retCode() {
        return ByteBuffer.wrap(io()).getInt(Ccw.IO_RET_CODE);
    }

    void ccw(long at, int cmd, int flags, int count, long cda) {
        ByteBuffer b = ByteBuffer.allocate(8);
        new Ccw.Ccw1(cmd, flags, count, (int) cda).encode(b);
        dma.memory.write(at, b);
    }

    void awaitIrq() throws InterruptedException {
        assertThat(irq.await(10, TimeUnit.SECONDS)).as("I/O interrupt").isTrue();
        irq.read();
    }

    void awaitIdle() throws InterruptedException {
        for (int i = 0; i < 2000 && device.state() != CcwDevice.State.IDLE; i++) {
            Thread.sleep(5);
        }
        assertThat(device.state()).isEqualTo(CcwDevice.State.IDLE);
    }

    @Test
    void aProgramThroughTheIoRegionEndsInAnIrbAndTheInterrupt() throws Exception {
        open(new Subchannel("0.0.0100", 32, true, 0x80, 0));
        byte[] text = "data through vfio-ccw".getBytes(StandardCharsets.US_ASCII);
        dma.memory.write(MEM + 0x2000, ByteBuffer.wrap(text));
        ccw(MEM, Ccw.CMD_WRITE, Ccw.CCW_FLAG_CC, text.length, MEM + 0x2000);
        ccw(MEM + 8, Ccw.CMD_SEEK, Ccw.CCW_FLAG_CC, 8, MEM + 0x4000);       // back to byte 0
        ccw(MEM + 16, Ccw.CMD_READ, Ccw.CCW_FLAG_SLI, 64, MEM + 0x3000);
        start(MEM);
        awaitIrq();
        byte[] io = io();
        // IRB's SCSW: fctl start, stctl primary|secondary|pending, CPA past the last CCW, channel
        // end|device end, residual 32: the READ wanted 64 of a 32-byte device (SLI set).
        assertThat(java.util.Arrays.copyOfRange(io, Ccw.IO_IRB, Ccw.IO_IRB + 12)).containsExactly(
                0x00, 0x00, 0x40, 0x07, 0x00, 0x10, 0x00, 0x18, 0x0c, 0x00, 0x00, 32);
        assertThat(retCode()).isZero();
        ByteBuffer back = ByteBuffer.allocate(text.length);
        dma.memory.read(MEM + 0x3000, back);
        assertThat(back.array()).isEqualTo(text);
        awaitIdle();
    }

    @Test
    void whilePendingAnotherStartIsEbusyAndHaltEndsTheProgramWithAHaltIrb() throws Exception {
        open(new Subchannel("0.0.0100", 4096, true, 0x80, 5_000));
        ccw(MEM, Ccw.CMD_READ, 0, 16, MEM + 0x2000);
        start(MEM);
        assertThat(device.state()).isEqualTo(CcwDevice.State.CP_PENDING);
        assertThat(dma.pins).as("the data page is pinned while pending").containsKey((MEM + 0x2000) / 4096);
        assertErrno(Errno.EBUSY, () -> start(MEM));
        assertThat(retCode()).isEqualTo(-Errno.EBUSY.number());
        long before = System.nanoTime();
        device.write(command(Ccw.VFIO_CCW_ASYNC_CMD_HSCH), VfioRegions.position(CcwDevice.ASYNC_REGION_INDEX, 0));
        assertThat(System.nanoTime() - before).as("halt does not wait out the delay").isLessThan(4_000_000_000L);
        awaitIrq();
        assertThat(irbScsw().fctl()).isEqualTo(Ccw.SCSW_FCTL_HALT_FUNC);
        ByteBuffer ret = ByteBuffer.allocate(Ccw.CMD_REGION_SIZE);
        device.read(ret, VfioRegions.position(CcwDevice.ASYNC_REGION_INDEX, 0));
        assertThat(ret.getInt(Ccw.CMD_RET_CODE)).isZero();
        assertThat(device.state()).isEqualTo(CcwDevice.State.IDLE);
        assertThat(dma.pins).isEmpty();
    }

    @Test
    void clearWhenIdleStillInterruptsWithAClearIrb() throws Exception {
        open();
        device.write(command(Ccw.VFIO_CCW_ASYNC_CMD_CSCH), VfioRegions.position(CcwDevice.ASYNC_REGION_INDEX, 0));
        awaitIrq();
        assertThat(irbScsw().fctl()).isEqualTo(Ccw.SCSW_FCTL_CLEAR_FUNC);
        assertErrno(Errno.EINVAL, () -> device.write(command(4),
                VfioRegions.position(CcwDevice.ASYNC_REGION_INDEX, 0)));
    }

    @Test
    void whileProcessingStartAndHaltAreEagain() throws Exception {
        CountDownLatch pinning = new CountDownLatch(1);
        CountDownLatch proceed = new CountDownLatch(1);
        dma.beforePin = () -> {
            pinning.countDown();
            try {
                proceed.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        open();
        ccw(MEM, Ccw.CMD_READ, 0, 16, MEM + 0x2000);
        ExecutorService guest = Executors.newSingleThreadExecutor();
        try {
            Future<?> first = guest.submit(() -> start(MEM));
            assertThat(pinning.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(device.state()).isEqualTo(CcwDevice.State.CP_PROCESSING);
            assertErrno(Errno.EAGAIN, () -> start(MEM));
            assertErrno(Errno.EAGAIN, () -> device.write(command(Ccw.VFIO_CCW_ASYNC_CMD_HSCH),
                    VfioRegions.position(CcwDevice.ASYNC_REGION_INDEX, 0)));
            proceed.countDown();
            first.get(10, TimeUnit.SECONDS);
            awaitIrq();
            assertThat(irbScsw().fctl()).isEqualTo(Ccw.SCSW_FCTL_START_FUNC);
        } finally {
            proceed.countDown();
            guest.shutdownNow();
        }
    }

    @Test
    void standbyUntilOpenedAndAfterRelease() {
        device = new CcwDevice(new Subchannel("0.0.0100", 4096, true, 0x80, 0), executor);
        assertThat(device.state()).isEqualTo(CcwDevice.State.STANDBY);
        ccw(MEM, Ccw.CMD_NOP, 0, 0, 0);
        assertErrno(Errno.EIO, () -> start(MEM));
        assertErrno(Errno.EIO, () -> device.write(command(Ccw.VFIO_CCW_ASYNC_CMD_CSCH),
                VfioRegions.position(CcwDevice.ASYNC_REGION_INDEX, 0)));
        device.open(() -> dma);
        assertThat(device.state()).isEqualTo(CcwDevice.State.IDLE);
        device.release();
        assertThat(device.state()).isEqualTo(CcwDevice.State.STANDBY);
        device.markRemoved();
        assertErrno(Errno.ENODEV, () -> device.open(() -> dma));
        device = null;
    }

    @Test
    void theIoRegionTakesNoHaltOrClearAndNeedsAFunction() {
        open();
        ccw(MEM, Ccw.CMD_NOP, 0, 0, 0);
        assertErrno(Errno.EOPNOTSUPP, () -> device.write(ioRegion(Ccw.SCSW_FCTL_HALT_FUNC, MEM, 0x80),
                VfioRegions.position(0, 0)));
        assertThat(retCode()).isEqualTo(-Errno.EOPNOTSUPP.number());
        assertErrno(Errno.EOPNOTSUPP, () -> device.write(ioRegion(Ccw.SCSW_FCTL_CLEAR_FUNC, MEM, 0x80),
                VfioRegions.position(0, 0)));
        assertErrno(Errno.EINVAL, () -> device.write(ioRegion(0, MEM, 0x80), VfioRegions.position(0, 0)));
        assertThat(device.state()).isEqualTo(CcwDevice.State.IDLE);
    }

    @Test
    void translationErrorsGoToRetCodeAndLeaveTheDeviceIdle() {
        open();
        ccw(MEM, Ccw.CMD_READ, 0, 16, 0x7000_0000L);
        assertErrno(Errno.EINVAL, () -> start(MEM));
        assertThat(retCode()).isEqualTo(-Errno.EINVAL.number());
        assertErrno(Errno.EFAULT, () -> start(0x7000_0000L));
        assertThat(device.state()).isEqualTo(CcwDevice.State.IDLE);
    }

    @Test
    void anOfflineDeviceIsEnodevAndAPathOutsideTheMaskIsEacces() {
        open(new Subchannel("0.0.0100", 4096, false, 0x80, 0));
        ccw(MEM, Ccw.CMD_NOP, 0, 0, 0);
        assertErrno(Errno.ENODEV, () -> start(MEM));
        device.release();
        open(new Subchannel("0.0.0100", 4096, true, 0x40, 0));
        assertErrno(Errno.EACCES, () -> start(MEM));
        assertThat(retCode()).isEqualTo(-Errno.EACCES.number());
        assertThat(device.state()).isEqualTo(CcwDevice.State.IDLE);
    }

    @Test
    void removalUnderIoIsNotOperWithNothingPinnedAndNoInterrupt() throws Exception {
        open(new Subchannel("0.0.0100", 4096, true, 0x80, 5_000));
        ccw(MEM, Ccw.CMD_READ, 0, 16, MEM + 0x2000);
        start(MEM);
        device.markRemoved();
        assertThat(device.state()).isEqualTo(CcwDevice.State.NOT_OPER);
        assertThat(dma.pins).isEmpty();
        assertThat(irq.count()).isZero();
        assertErrno(Errno.EIO, () -> start(MEM));
        assertErrno(Errno.ENODEV, () -> device.ioctl(Vfio.VFIO_DEVICE_RESET, ByteBuffer.allocate(0), null));
    }

    @Test
    void anUnmapUnderARunningProgramEndsItAndUnpins() throws Exception {
        open(new Subchannel("0.0.0100", 4096, true, 0x80, 5_000));
        ccw(MEM, Ccw.CMD_READ, 0, 16, MEM + 0x2000);
        start(MEM);
        dma.unmap(MEM, 0x10_0000);
        assertThat(dma.pins).isEmpty();
        awaitIrq();
        assertThat(irbScsw().fctl()).isEqualTo(Ccw.SCSW_FCTL_CLEAR_FUNC);
        assertThat(device.state()).isEqualTo(CcwDevice.State.IDLE);
    }

    @Test
    void accessesOutsideARegionAndUnknownRegionsAreEinval() {
        open();
        assertErrno(Errno.EINVAL, () -> device.read(ByteBuffer.allocate(8), VfioRegions.position(0, 120)));
        assertErrno(Errno.EINVAL, () -> device.write(ByteBuffer.allocate(4), VfioRegions.position(2, 0)));
        assertErrno(Errno.EINVAL, () -> device.read(ByteBuffer.allocate(4),
                VfioRegions.position(CcwDevice.ASYNC_REGION_INDEX, 6)));
        ByteBuffer ret = ByteBuffer.allocate(4);
        device.read(ret, VfioRegions.position(0, Ccw.IO_RET_CODE));
        assertThat(ret.array()).containsExactly(0, 0, 0, 0);
    }

    @Test
    void regionAndIrqInfoAsVfioCcwAnswersThem() {
        open();
        assertThat(device.getInfo().flags()).isEqualTo(Vfio.VFIO_DEVICE_FLAGS_CCW | Vfio.VFIO_DEVICE_FLAGS_RESET);
        assertThat(device.getInfo().numRegions()).isEqualTo(4);
        assertThat(device.getInfo().numIrqs()).isEqualTo(2);
        assertThat(device.getRegionInfo(2).caps()).containsExactly(
                new VfioRegionInfo.Type(Ccw.VFIO_REGION_TYPE_CCW, Ccw.VFIO_REGION_SUBTYPE_CCW_SCHIB));
        assertThat(device.getRegionInfo(3).flags()).as("read-only").isEqualTo(Vfio.VFIO_REGION_INFO_FLAG_READ);
        assertErrno(Errno.EINVAL, () -> device.getRegionInfo(4));
        assertThat(device.getRegionInfo(0).size()).isEqualTo(124);
        VfioRegionInfo async = device.getRegionInfo(CcwDevice.ASYNC_REGION_INDEX);
        assertThat(async.size()).isEqualTo(8);
        assertThat(async.caps()).containsExactly(
                new VfioRegionInfo.Type(Ccw.VFIO_REGION_TYPE_CCW, Ccw.VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD));
        assertErrno(Errno.EINVAL, () -> device.getIrqInfo(2));
        assertThat(device.getIrqInfo(0).count()).isEqualTo(1);
    }

    @Test
    void theSchibShowsPathsDeviceNumberAndEnablement() {
        CcwParent parent = new CcwParent(new Subchannel("0.0.01a7", 4096, true, 0xc0, 0));
        try {
            parent.create(CcwParent.IO_TYPE, new TestMdev());
            device = parent.device();
            byte[] closed = schib();
            // word 1: dnv, device number 0x01a7, not enabled while STANDBY
            assertThat(java.util.Arrays.copyOfRange(closed, 4, 8)).containsExactly(0x00, 0x01, 0x01, 0xa7);
            device.open(() -> dma);
            byte[] open = schib();
            assertThat(java.util.Arrays.copyOfRange(open, 4, 8)).containsExactly(0x00, 0x81, 0x01, 0xa7);
            // lpm, pnom, lpum, pim; mbi, pom, pam; chpids 0 and 1
            assertThat(java.util.Arrays.copyOfRange(open, 8, 24)).containsExactly(
                    0xc0, 0, 0, 0xc0, 0, 0, 0xc0, 0xc0, 0, 1, 0, 0, 0, 0, 0, 0);
            parent.vary(1, false);
            assertThat(schib()[8]).isEqualTo((byte) 0x80);
            assertThat(schib()[14]).as("pom").isEqualTo((byte) 0x80);
        } finally {
            parent.deactivate();
        }
    }

    @Test
    void varyingAPathQueuesChannelReportsReadOneAtATime() throws Exception {
        CcwParent parent = new CcwParent(new Subchannel("0.0.0100", 4096, true, 0xc0, 0));
        try {
            parent.create(CcwParent.IO_TYPE, new TestMdev());
            device = parent.device();
            device.open(() -> dma);
            EventFd crwIrq = new EventFd();
            device.setIrqs(VfioIrqSet.trigger(Ccw.VFIO_CCW_CRW_IRQ_INDEX, 0, crwIrq));
            parent.vary(1, false);
            parent.vary(1, false);                  // no change, no report
            parent.vary(1, true);
            assertThat(crwIrq.read()).isEqualTo(2);
            assertErrno(Errno.EINVAL, () -> parent.vary(2, true));
            assertThat(crw()).as("rsc channel path, erc permanent error, chpid 1")
                    .containsExactly(0x04, 0x06, 0x00, 0x01, 0, 0, 0, 0);
            assertThat(crwIrq.count()).as("one more is queued").isEqualTo(1);
            assertThat(crw()).as("erc initialized").containsExactly(0x04, 0x02, 0x00, 0x01, 0, 0, 0, 0);
            assertThat(crw()).as("the queue is empty").containsExactly(0, 0, 0, 0, 0, 0, 0, 0);
            assertErrno(Errno.EINVAL, () -> device.write(ByteBuffer.allocate(4),
                    VfioRegions.position(CcwDevice.CRW_REGION_INDEX, 0)));
            // ssch on a path that went offline: EACCES
            parent.vary(0, false);
            parent.vary(1, false);
            ccw(MEM, Ccw.CMD_NOP, 0, 0, 0);
            assertErrno(Errno.EACCES, () -> start(MEM));
        } finally {
            parent.deactivate();
        }
    }

    byte[] schib() {
        ByteBuffer b = ByteBuffer.allocate(Ccw.SCHIB_REGION_SIZE);
        device.read(b, VfioRegions.position(CcwDevice.SCHIB_REGION_INDEX, 0));
        return b.array();
    }

    byte[] crw() {
        ByteBuffer b = ByteBuffer.allocate(Ccw.CRW_REGION_SIZE);
        device.read(b, VfioRegions.position(CcwDevice.CRW_REGION_INDEX, 0));
        return b.array();
    }
}
