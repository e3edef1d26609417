package vfio.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** Expected bytes are written out by hand from the struct layouts of include/uapi/linux/vfio.h. */
class VfioIoctlCodecTest {
    /** A device with 9 regions and 5 irq indexes of which 0 and 1 exist, recording SET_IRQS. */
    static final class Recorder implements VfioDeviceIoctls {
        final List<VfioIrqSet> sets = new ArrayList<>();
        int resets;

        @Override
        public VfioDeviceInfo getInfo() {
            return new VfioDeviceInfo(Vfio.VFIO_DEVICE_FLAGS_PCI | Vfio.VFIO_DEVICE_FLAGS_RESET, 9, 5);
        }

        @Override
        public VfioRegionInfo getRegionInfo(int index) {
            if (index == 2) {
                return new VfioRegionInfo(index, 7, 0x4000, VfioRegions.position(index, 0), List.of(
                        new VfioRegionInfo.SparseMmap(List.of(new VfioRegionInfo.Area(0x1000, 0x2000))),
                        new VfioRegionInfo.Type(2, 1)));
            }
            return new VfioRegionInfo(index, 3, 0x100 + index, VfioRegions.position(index, 0));
        }

        @Override
        public VfioIrqInfo getIrqInfo(int index) {
            if (index > 1) {
                throw new ErrnoException(Errno.EINVAL, "no irq " + index);
            }
            return new VfioIrqInfo(index, Vfio.VFIO_IRQ_INFO_EVENTFD, index == 0 ? 1 : 4);
        }

        @Override
        public void setIrqs(VfioIrqSet set) {
            sets.add(set);
        }

        @Override
        public void reset() {
            resets++;
        }
    }

    final Recorder device = new Recorder();
    final FileTable files = new FileTable();

    static ByteBuffer bytes(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length);
        for (int v : values) {
            b.put((byte) v);
        }
        return b.flip();
    }

    static byte[] array(ByteBuffer b) {
        byte[] out = new byte[b.limit()];
        b.duplicate().position(0).get(out);
        return out;
    }

    static byte[] array(int... values) {
        return array(bytes(values));
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void ioctlNumbersAreIoOfSemicolonAndVfioBase() {
        assertThat(Vfio.VFIO_GET_API_VERSION).isEqualTo(0x3b64);
        assertThat(Vfio.VFIO_CHECK_EXTENSION).isEqualTo(0x3b65);
        assertThat(Vfio.VFIO_DEVICE_GET_INFO).isEqualTo(0x3b6b);
        assertThat(Vfio.VFIO_DEVICE_GET_REGION_INFO).isEqualTo(0x3b6c);
        assertThat(Vfio.VFIO_DEVICE_GET_IRQ_INFO).isEqualTo(0x3b6d);
        assertThat(Vfio.VFIO_DEVICE_SET_IRQS).isEqualTo(0x3b6e);
        assertThat(Vfio.VFIO_DEVICE_RESET).isEqualTo(0x3b6f);
    }

    @Test
    void getInfoFillsFlagsRegionsAndIrqs() {
        ByteBuffer arg = bytes(16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_INFO, arg, files, device);
        assertThat(array(arg)).containsExactly(array(16, 0, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0, 5, 0, 0, 0));
    }

    @Test
    void getRegionInfoFillsFlagsCapOffsetSizeAndOffset() {
        ByteBuffer arg = ByteBuffer.allocate(32);
        arg.put(0, (byte) 32).put(8, (byte) 7);
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_REGION_INFO, arg, files, device);
        assertThat(array(arg)).containsExactly(array(
                32, 0, 0, 0, /* flags */ 3, 0, 0, 0, /* index */ 7, 0, 0, 0, /* cap_offset */ 0, 0, 0, 0,
                /* size 0x107 */ 0x07, 0x01, 0, 0, 0, 0, 0, 0,
                /* offset 7 << 40 */ 0, 0, 0, 0, 0, 0x07, 0, 0));
    }

    @Test
    void regionCapsAreChainedAfterTheStructOrArgszGrows() {
        ByteBuffer small = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        small.putInt(0, 32).putInt(8, 2);
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_REGION_INFO, small, files, device);
        // 32 (struct) + 16 + 16 (sparse mmap with one area) + 16 (type)
        assertThat(small.getInt(0)).as("argsz needed").isEqualTo(80);
        assertThat(small.getInt(4)).as("flags with CAPS").isEqualTo(7 | Vfio.VFIO_REGION_INFO_FLAG_CAPS);
        assertThat(small.getInt(12)).as("no cap_offset yet").isZero();
        ByteBuffer arg = ByteBuffer.allocate(80).order(ByteOrder.LITTLE_ENDIAN);
        arg.putInt(0, 80).putInt(8, 2);
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_REGION_INFO, arg, files, device);
        assertThat(array(arg)).containsExactly(array(
                80, 0, 0, 0, /* flags */ 0x0f, 0, 0, 0, /* index */ 2, 0, 0, 0, /* cap_offset */ 32, 0, 0, 0,
                /* size */ 0, 0x40, 0, 0, 0, 0, 0, 0, /* offset 2 << 40 */ 0, 0, 0, 0, 0, 2, 0, 0,
                /* sparse mmap: id 1, version 1, next 64 */ 1, 0, 1, 0, 64, 0, 0, 0,
                /* nr_areas 1, reserved */ 1, 0, 0, 0, 0, 0, 0, 0,
                /* area offset 0x1000 */ 0, 0x10, 0, 0, 0, 0, 0, 0, /* size 0x2000 */ 0, 0x20, 0, 0, 0, 0, 0, 0,
                /* type: id 2, version 1, next 0 */ 2, 0, 1, 0, 0, 0, 0, 0,
                /* type 2, subtype 1 */ 2, 0, 0, 0, 1, 0, 0, 0));
        assertThat(VfioIoctlCodec.decodeCaps(arg)).containsExactly(
                new VfioRegionInfo.SparseMmap(List.of(new VfioRegionInfo.Area(0x1000, 0x2000))),
                new VfioRegionInfo.Type(2, 1));
    }

    @Test
    void theStructStartsAtTheBufferPosition() {
        ByteBuffer arg = ByteBuffer.allocate(20);
        arg.put(4, (byte) 16).position(4);
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_INFO, arg, files, device);
        assertThat(arg.order(ByteOrder.LITTLE_ENDIAN).getInt(12)).isEqualTo(9);
    }

    @Test
    void getIrqInfoFillsFlagsAndCount() {
        ByteBuffer arg = bytes(16, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 0, 0, 0);
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_IRQ_INFO, arg, files, device);
        assertThat(array(arg)).containsExactly(array(16, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0));
    }

    @Test
    void argszBelowMinszIsEinvalAndAShortBufferIsEfault() {
        assertErrno(Errno.EINVAL, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_INFO,
                bytes(15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), files, device));
        assertErrno(Errno.EFAULT, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_INFO,
                bytes(16, 0, 0, 0, 0, 0, 0, 0), files, device));
        assertErrno(Errno.EFAULT, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_REGION_INFO, null, files, device));
        ByteBuffer region = ByteBuffer.allocate(32);
        region.put(0, (byte) 31);
        assertErrno(Errno.EINVAL, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_REGION_INFO, region, files, device));
    }

    @Test
    void indexesPastTheDevicesCountsAreEinval() {
        ByteBuffer region = ByteBuffer.allocate(32);
        region.put(0, (byte) 32).put(8, (byte) 9);
        assertErrno(Errno.EINVAL, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_REGION_INFO, region, files, device));
        ByteBuffer irq = bytes(16, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
        assertErrno(Errno.EINVAL, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_GET_IRQ_INFO, irq, files, device));
    }

    @Test
    void unknownIoctlsAreEnottyAndResetNeedsNoArgument() {
        assertErrno(Errno.ENOTTY, () -> VfioIoctlCodec.dispatch(0x3b70, ByteBuffer.allocate(64), files, device));
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_RESET, null, files, device);
        assertThat(device.resets).isEqualTo(1);
    }

    @Test
    void setIrqsDecodesEventFdsFromTheCallersFileTable() {
        EventFd e = new EventFd();
        int fd = files.install(e);
        assertThat(fd).isEqualTo(3);
        ByteBuffer arg = bytes(28, 0, 0, 0, /* TRIGGER|EVENTFD */ 0x24, 0, 0, 0, /* index */ 1, 0, 0, 0,
                /* start */ 1, 0, 0, 0, /* count */ 2, 0, 0, 0, /* fd 3 */ 3, 0, 0, 0, /* fd -1 */ 0xff, 0xff, 0xff, 0xff);
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_SET_IRQS, arg, files, device);
        VfioIrqSet set = device.sets.get(0);
        assertThat(set.action()).isEqualTo(Vfio.VFIO_IRQ_SET_ACTION_TRIGGER);
        assertThat(set.index()).isEqualTo(1);
        assertThat(set.start()).isEqualTo(1);
        assertThat(set.eventFds()).containsExactly(e, null);
    }

    @Test
    void setIrqsDecodesBools() {
        ByteBuffer arg = bytes(21, 0, 0, 0, /* MASK|BOOL */ 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1);
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_SET_IRQS, arg, files, device);
        assertThat(device.sets.get(0).bools()).containsExactly(true);
    }

    @Test
    void setIrqsRejectsWhatVfioSetIrqsValidateAndPrepareRejects() {
        // unknown flag bit
        assertErrno(Errno.EINVAL, () -> setIrqs(0x40 | 0x21, 0, 0, 1));
        // two actions, two data types, no action
        assertErrno(Errno.EINVAL, () -> setIrqs(0x18 | 0x01, 0, 0, 1));
        assertErrno(Errno.EINVAL, () -> setIrqs(0x20 | 0x03, 0, 0, 1));
        assertErrno(Errno.EINVAL, () -> setIrqs(0x01, 0, 0, 1));
        // index past num_irqs, index the device lacks, irqs past the index's count, overflow
        assertErrno(Errno.EINVAL, () -> setIrqs(0x21, 5, 0, 1));
        assertErrno(Errno.EINVAL, () -> setIrqs(0x21, 2, 0, 1));
        assertErrno(Errno.EINVAL, () -> setIrqs(0x21, 1, 3, 2));
        assertErrno(Errno.EINVAL, () -> setIrqs(0x21, 1, 1, -1));
        // eventfd data: argsz too small (EINVAL), buffer too short (EFAULT), bad fds
        ByteBuffer small = bytes(20, 0, 0, 0, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0);
        assertErrno(Errno.EINVAL, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_SET_IRQS, small, files, device));
        ByteBuffer truncated = bytes(24, 0, 0, 0, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 0);
        assertErrno(Errno.EFAULT, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_SET_IRQS, truncated, files, device));
        ByteBuffer notOpen = bytes(24, 0, 0, 0, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 9, 0, 0, 0);
        assertErrno(Errno.EBADF, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_SET_IRQS, notOpen, files, device));
        ByteBuffer negative = bytes(24, 0, 0, 0, 0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff);
        assertErrno(Errno.EINVAL, () -> VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_SET_IRQS, negative, files, device));
        // no vector with eventfd or bool data: only DATA_NONE disables with count 0 (devices
        // indexed the empty array; found by DescriptorFuzzTest)
        assertErrno(Errno.EINVAL, () -> setIrqs(0x24, 0, 0, 0));
        assertErrno(Errno.EINVAL, () -> setIrqs(0x22, 0, 0, 0));
        assertThat(device.sets).isEmpty();
    }

    private void setIrqs(int flags, int index, int start, int count) {
        ByteBuffer arg = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        arg.putInt(0, 20).putInt(4, flags).putInt(8, index).putInt(12, start).putInt(16, count);
        VfioIoctlCodec.dispatch(Vfio.VFIO_DEVICE_SET_IRQS, arg, files, device);
    }

    @Test
    void regionPositionsEncodeTheIndexAboveBit40() {
        assertThat(VfioRegions.position(7, 0x10)).isEqualTo(0x70000000010L);
        assertThat(VfioRegions.index(0x70000000010L)).isEqualTo(7);
        assertThat(VfioRegions.offset(0x70000000010L)).isEqualTo(0x10);
    }

    @Test
    void eventFdCountsSignalsAndReadResetsThem() throws Exception {
        EventFd e = new EventFd();
        assertErrno(Errno.EAGAIN, e::read);
        e.signal();
        e.signal(2);
        assertThat(e.await(1, java.util.concurrent.TimeUnit.MILLISECONDS)).isTrue();
        assertThat(e.read()).isEqualTo(3);
        assertThat(e.count()).isZero();
        assertErrno(Errno.EINVAL, () -> e.signal(0));
    }

    @Test
    void fileTableNumbersFromThreeAndAnswersEbadf() {
        EventFd e = new EventFd();
        int fd = files.numberOf(e);
        assertThat(files.numberOf(e)).isEqualTo(fd);
        assertThat(files.eventFd(fd)).isSameAs(e);
        files.close(fd);
        assertErrno(Errno.EBADF, () -> files.eventFd(fd));
        assertErrno(Errno.EBADF, () -> files.close(fd));
    }
}
