package vfio.type1.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VfioDma;
import vfio.core.VfioType1Codec;
import vfio.core.VmAddressSpace;

class Type1IommuTest {
    static final int RW = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    static final long MB = 1 << 20;

    final VmAddressSpace vm = new VmAddressSpace("vm0");
    final ByteBuffer ram = vm.allocate(0x10_0000_0000L, 16 * MB);
    final List<String> released = new ArrayList<>();
    final Type1Iommu iommu = new Type1Iommu(VFIO_TYPE1v2_IOMMU, vm, new PlatformModel(), () -> released.add("released"));

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    ByteBuffer mapArg(int flags, long vaddr, long iova, long size) {
        ByteBuffer b = le(32);
        b.putInt(0, 32).putInt(4, flags).putLong(8, vaddr).putLong(16, iova).putLong(24, size);
        return b;
    }

    void map(long vaddr, long iova, long size) {
        iommu.ioctl(VFIO_IOMMU_MAP_DMA, mapArg(RW, vaddr, iova, size));
    }

    long unmap(long iova, long size) {
        ByteBuffer b = le(24);
        b.putInt(0, 24).putLong(8, iova).putLong(16, size);
        iommu.ioctl(VFIO_IOMMU_UNMAP_DMA, b);
        return b.getLong(16);
    }

    @Test
    void getInfoWithRoomForTheCapsWritesTheIovaRangeChain() {
        // 24 (the struct) + 16 (cap header, nr_iovas, reserved) + 2 x 16 (ranges) = 72
        ByteBuffer b = le(72);
        b.putInt(0, 72);
        iommu.ioctl(VFIO_IOMMU_GET_INFO, b);
        assertThat(b.getInt(0)).as("argsz").isEqualTo(72);
        assertThat(b.getInt(4)).as("flags PGSIZES|CAPS").isEqualTo(3);
        assertThat(b.getLong(8)).as("iova_pgsizes").isEqualTo(0x4020_1000L);
        assertThat(b.getInt(16)).as("cap_offset").isEqualTo(24);
        assertThat(b.getShort(24)).as("cap id IOVA_RANGE").isEqualTo((short) 1);
        assertThat(b.getShort(26)).as("cap version").isEqualTo((short) 1);
        assertThat(b.getInt(28)).as("next").isZero();
        assertThat(b.getInt(32)).as("nr_iovas").isEqualTo(2);
        assertThat(b.getLong(40)).isZero();
        assertThat(b.getLong(48)).isEqualTo(0xfedf_ffffL);
        assertThat(b.getLong(56)).isEqualTo(0xfef0_0000L);
        assertThat(b.getLong(64)).isEqualTo((1L << 48) - 1);
    }

    @Test
    void getInfoTooSmallForTheCapsRaisesArgsz() {
        ByteBuffer b = le(24);
        b.putInt(0, 24);
        iommu.ioctl(VFIO_IOMMU_GET_INFO, b);
        assertThat(b.getInt(0)).isEqualTo(24 + 48);
        assertThat(b.getInt(4)).isEqualTo(3);
        assertThat(b.getInt(16)).as("no caps copied").isZero();
        ByteBuffer old = le(16);
        old.putInt(0, 16).putInt(16 - 4, 0);
        iommu.ioctl(VFIO_IOMMU_GET_INFO, old);
        assertThat(old.getInt(0)).isEqualTo(72);
        assertThat(old.getLong(8)).isEqualTo(0x4020_1000L);
        assertErrno(Errno.EINVAL, () -> iommu.ioctl(VFIO_IOMMU_GET_INFO, le(16).putInt(0, 15)));
        assertErrno(Errno.EFAULT, () -> iommu.ioctl(VFIO_IOMMU_GET_INFO, le(8).putInt(0, 16)));
        assertErrno(Errno.EFAULT, () -> iommu.ioctl(VFIO_IOMMU_GET_INFO, le(24).putInt(0, 200)));
    }

    @Test
    void mapAndUnmapReportTheSizeUnmapped() {
        map(0x10_0000_0000L, 0x1000_0000L, 2 * MB);
        map(0x10_0020_0000L, 0x1020_0000L, MB);
        assertThat(iommu.mappingCount()).isEqualTo(2);
        assertThat(unmap(0x1000_0000L, 3 * MB)).isEqualTo(3 * MB);
        assertThat(iommu.mappingCount()).isZero();
        assertThat(unmap(0x1000_0000L, MB)).as("nothing there").isZero();
    }

    @Test
    void mapRejectsWhatTheKernelRejects() {
        long v = 0x10_0000_0000L;
        assertErrno(Errno.EINVAL, () -> iommu.ioctl(VFIO_IOMMU_MAP_DMA, mapArg(0, v, 0x1000, 0x1000)));
        assertErrno(Errno.EINVAL, () -> iommu.ioctl(VFIO_IOMMU_MAP_DMA, mapArg(RW | 4, v, 0x1000, 0x1000)));
        assertErrno(Errno.EINVAL, () -> map(v, 0x1800, 0x1000));
        assertErrno(Errno.EINVAL, () -> map(v + 1, 0x1000, 0x1000));
        assertErrno(Errno.EINVAL, () -> map(v, 0x1000, 0));
        assertErrno(Errno.EINVAL, () -> map(v, -0x1000L, 0x2000));
        assertErrno(Errno.EINVAL, () -> map(v, 0xfee0_0000L, 0x1000));
        assertErrno(Errno.EINVAL, () -> map(v, 1L << 48, 0x1000));
        assertErrno(Errno.EFAULT, () -> map(0x20_0000_0000L, 0x1000, 0x1000));
        assertErrno(Errno.EFAULT, () -> map(v + 15 * MB, 0x1000, 2 * MB));
        ByteBuffer shortArgsz = mapArg(RW, v, 0x1000, 0x1000).putInt(0, 31);
        assertErrno(Errno.EINVAL, () -> iommu.ioctl(VFIO_IOMMU_MAP_DMA, shortArgsz));
        assertErrno(Errno.EFAULT, () -> iommu.ioctl(VFIO_IOMMU_MAP_DMA, le(24).putInt(0, 32)));
        map(v, 0x10000, 0x4000);
        assertErrno(Errno.EEXIST, () -> map(v, 0xf000, 0x2000));
        assertErrno(Errno.EEXIST, () -> map(v, 0x13000, 0x1000));
        assertThat(iommu.mappingCount()).isEqualTo(1);
    }

    @Test
    void noPartialUnmap() {
        map(0x10_0000_0000L, 0x10000, 0x4000);
        assertErrno(Errno.EINVAL, () -> unmap(0x11000, 0x3000));
        assertErrno(Errno.EINVAL, () -> unmap(0x10000, 0x2000));
        assertErrno(Errno.EINVAL, () -> unmap(0x10001, 0x1000));
        assertErrno(Errno.EINVAL, () -> unmap(0x10000, 0));
        ByteBuffer flagged = le(24).putInt(0, 24).putInt(4, 1).putLong(8, 0x10000).putLong(16, 0x4000);
        assertErrno(Errno.EINVAL, () -> iommu.ioctl(VFIO_IOMMU_UNMAP_DMA, flagged));
        assertThat(unmap(0x8000, 0x10000)).isEqualTo(0x4000);
    }

    @Test
    void theDmaEntryLimitAnswersEnospc() {
        ByteBuffer big = vm.allocate(0x40_0000_0000L, (long) Type1Iommu.DMA_ENTRY_LIMIT * 0x1000 + 0x1000);
        for (long i = 0; i < Type1Iommu.DMA_ENTRY_LIMIT; i++) {
            map(0x40_0000_0000L + i * 0x1000, i * 0x1000, 0x1000);
        }
        long next = (long) Type1Iommu.DMA_ENTRY_LIMIT * 0x1000;
        assertErrno(Errno.ENOSPC, () -> map(0x40_0000_0000L + next, next, 0x1000));
        assertThat(unmap(0, 0x1000)).isEqualTo(0x1000);
        map(0x40_0000_0000L + next, next, 0x1000);
        assertThat(big.capacity()).isPositive();
    }

    @Test
    void vendorsReadAndWriteGuestMemoryByIova() {
        map(0x10_0000_0000L, 0x1000_0000L, 0x2000);
        map(0x10_0000_4000L, 0x1000_2000L, 0x1000);
        ram.put(0x4000, (byte) 'z');
        iommu.write(0x1000_1ffeL, ByteBuffer.wrap("hey".getBytes(StandardCharsets.US_ASCII)));
        assertThat(ram.get(0x1ffe)).isEqualTo((byte) 'h');
        assertThat(ram.get(0x1fff)).isEqualTo((byte) 'e');
        assertThat(ram.get(0x4000)).as("crossed into the next mapping").isEqualTo((byte) 'y');
        ByteBuffer back = ByteBuffer.allocate(3);
        iommu.read(0x1000_1ffeL, back);
        assertThat(new String(back.array(), StandardCharsets.US_ASCII)).isEqualTo("hey");
        assertErrno(Errno.EFAULT, () -> iommu.read(0x2000_0000L, ByteBuffer.allocate(1)));
        assertErrno(Errno.EFAULT, () -> iommu.write(0x1000_2fffL, ByteBuffer.allocate(2)));
        assertThat(ram.get(0x4fff)).as("a failed write changes nothing").isZero();
        iommu.ioctl(VFIO_IOMMU_MAP_DMA, mapArg(VFIO_DMA_MAP_FLAG_READ, 0x10_0001_0000L, 0x3000_0000L, 0x1000));
        assertErrno(Errno.EPERM, () -> iommu.write(0x3000_0000L, ByteBuffer.allocate(1)));
    }

    @Test
    void pageTableEntriesReachEachRegionAndGoWithTheirMappings() {
        ByteBuffer other = vm.allocate(0x20_0000_0000L, 0x4000);
        ram.put(0x3008, (byte) 1);
        other.put(0x1008, (byte) 2);
        map(0x10_0000_3000L, 0x5000_0000L, 0x1000);
        map(0x20_0000_1000L, 0x5000_1000L, 0x1000);
        ByteBuffer one = ByteBuffer.allocate(1);
        iommu.read(0x5000_0008L, one.clear());
        assertThat(one.get(0)).isEqualTo((byte) 1);
        iommu.read(0x5000_1008L, one.clear());
        assertThat(one.get(0)).as("the second region's page").isEqualTo((byte) 2);
        iommu.write(0x5000_1009L, ByteBuffer.wrap(new byte[] { 7 }));
        assertThat(other.get(0x1009)).isEqualTo((byte) 7);
        assertThat(unmap(0x5000_0000L, 0x2000)).isEqualTo(0x2000);
        assertErrno(Errno.EFAULT, () -> iommu.read(0x5000_1008L, ByteBuffer.allocate(1)));
        vm.free(0x20_0000_0000L);
        ByteBuffer again = vm.allocate(0x20_0000_0000L, 0x4000);
        again.put(0x1008, (byte) 3);
        map(0x20_0000_1000L, 0x5000_1000L, 0x1000);
        iommu.read(0x5000_1008L, one.clear());
        assertThat(one.get(0)).as("the region mapped now, not the freed one").isEqualTo((byte) 3);
        iommu.ioctl(VFIO_IOMMU_MAP_DMA, mapArg(VFIO_DMA_MAP_FLAG_WRITE, 0x10_0000_5000L, 0x5000_2000L, 0x1000));
        assertErrno(Errno.EPERM, () -> iommu.read(0x5000_2000L, ByteBuffer.allocate(1)));
    }

    @Test
    void pinningNeedsAListenerAMappingAndTheRightProtection() {
        long[] pfns = { 0x10000 };
        assertErrno(Errno.EINVAL, () -> iommu.pinPages(pfns, VfioDma.IOMMU_READ));
        List<Long> unmapped = new ArrayList<>();
        iommu.addUnmapListener((iova, size) -> {
            unmapped.add(iova);
            iommu.unpinPages(pfns);
        });
        assertErrno(Errno.EINVAL, () -> iommu.pinPages(pfns, VfioDma.IOMMU_READ));
        iommu.ioctl(VFIO_IOMMU_MAP_DMA, mapArg(VFIO_DMA_MAP_FLAG_READ, 0x10_0000_3000L, 0x1000_0000L, 0x1000));
        assertErrno(Errno.EPERM, () -> iommu.pinPages(pfns, VfioDma.IOMMU_WRITE));
        assertThat(iommu.pinPages(pfns, VfioDma.IOMMU_READ)).containsExactly(0x10_0000_3000L >>> 12);
        assertErrno(Errno.E2BIG, () -> iommu.pinPages(new long[513], VfioDma.IOMMU_READ));
        assertErrno(Errno.EINVAL, () -> iommu.pinPages(new long[] { 0x10000, 0x20000 }, VfioDma.IOMMU_READ));
        assertThat(unmap(0x1000_0000L, 0x1000)).isEqualTo(0x1000);
        assertThat(unmapped).as("the vendor was told first").containsExactly(0x1000_0000L);
    }

    @Test
    void anUnmapOverPagesAVendorKeepsPinnedFailsWithEbusyAndKeepsTheMapping() {
        iommu.addUnmapListener((iova, size) -> { });
        map(0x10_0000_0000L, 0x1000_0000L, 0x1000);
        iommu.pinPages(new long[] { 0x10000 }, VfioDma.IOMMU_READ);
        assertErrno(Errno.EBUSY, () -> unmap(0x1000_0000L, 0x1000));
        assertThat(iommu.mappingCount()).isEqualTo(1);
    }

    @Test
    void aType1V1IommuDoesNotPin() {
        Type1Iommu v1 = new Type1Iommu(VFIO_TYPE1_IOMMU, vm, new PlatformModel(), () -> { });
        v1.addUnmapListener((iova, size) -> { });
        assertErrno(Errno.EACCES, () -> v1.pinPages(new long[] { 1 }, VfioDma.IOMMU_READ));
    }

    @Test
    void releaseDropsEverythingAndLaterCallsAnswerEnodev() {
        map(0x10_0000_0000L, 0x1000_0000L, 0x1000);
        iommu.release();
        iommu.release();
        assertThat(released).containsExactly("released");
        assertThat(iommu.mappingCount()).isZero();
        assertErrno(Errno.ENODEV, () -> map(0x10_0000_0000L, 0x1000_0000L, 0x1000));
        assertErrno(Errno.ENODEV, () -> iommu.read(0x1000_0000L, ByteBuffer.allocate(1)));
        assertErrno(Errno.ENOTTY, () -> iommu.ioctl(0x3b7f, le(8)));
    }

    @Test
    void theUserSideCodecReadsTheCapabilityChain() {
        var info = VfioType1Codec.decodeInfo(filledInfo());
        assertThat(info.iovaPgsizes()).isEqualTo(0x4020_1000L);
        assertThat(info.iovaRanges()).hasSize(2);
        assertThat(info.iovaRanges().get(1).end()).isEqualTo((1L << 48) - 1);
    }

    private ByteBuffer filledInfo() {
        ByteBuffer b = le(72);
        b.putInt(0, 72);
        iommu.ioctl(VFIO_IOMMU_GET_INFO, b);
        return b;
    }

    @Test
    void aDeviceSeesGuestMemoryByIovaThroughAnAddressSpaceBehindTheIommu() {
        VmAddressSpace vm = new VmAddressSpace("behind");
        java.nio.ByteBuffer ram = vm.allocate(0x7000_0000L, 0x4000).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        Type1Iommu iommu = new Type1Iommu(VFIO_TYPE1v2_IOMMU, vm, new PlatformModel(), () -> { });
        iommu.map(0x10000, 0x2000, 0x7000_0000L, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        iommu.map(0x12000, 0x1000, 0x7000_3000L, VFIO_DMA_MAP_FLAG_READ);
        VmAddressSpace device = VmAddressSpace.behindIommu("device view", iommu);

        device.putInt(0x10008, 0x11223344);
        assertThat(ram.getInt(8)).isEqualTo(0x11223344);
        ram.putLong(0x3010, 0x0102030405060708L);
        assertThat(device.getLong(0x12010)).isEqualTo(0x0102030405060708L);
        assertThat(device.contains(0x10000, 0x3000)).as("two mappings back to back").isTrue();
        assertThat(device.contains(0x11000, 0x2001)).isFalse();
        assertThat(device.contains(0x20000, 1)).isFalse();
        assertThatThrownBy(() -> device.putShort(0x12000, 1)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
        assertThatThrownBy(() -> device.getShort(0x20000)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EFAULT));
        assertThatThrownBy(() -> device.allocate(0, 0x1000)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        iommu.release();
        assertThat(device.contains(0x10000, 1)).isFalse();
        assertThatThrownBy(() -> device.getShort(0x10000)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
    }
}
