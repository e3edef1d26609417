package vfio.type1.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioIommuGroup;
import vfio.core.VmAddressSpace;
import vfio.type1.IommuModel;

/** Seed 002 patches 1-5: PASID alloc/free, quota, reclaim, nesting capability. */
class PasidTest {
    final PlatformModel model = new PlatformModel();
    final VmAddressSpace vmA = new VmAddressSpace("a");
    final VmAddressSpace vmB = new VmAddressSpace("b");

    /** A group of one mdev, IOMMU-backed by {@code physical} unless it is null. */
    static VfioIommuGroup group(int id, String physical) {
        VfioDevice device = new VfioDevice() {
            final UUID uuid = UUID.randomUUID();

            public UUID uuid() { return uuid; }
            public String name() { return uuid.toString(); }
            public Optional<String> iommuDevice() { return Optional.ofNullable(physical); }
            public VfioDeviceFile open(FileTable files) { throw new UnsupportedOperationException(); }
            public VfioDeviceFile open(FileTable f, VfioDeviceContext c, Runnable r) { throw new UnsupportedOperationException(); }
        };
        return new VfioIommuGroup() {
            public int id() { return id; }
            public List<VfioDevice> devices() { return List.of(device); }
        };
    }

    Type1Iommu container(int type, VmAddressSpace vm, String physical) {
        Type1Iommu iommu = new Type1Iommu(type, vm, model, () -> { });
        iommu.attachGroup(group(physical == null ? 1 : physical.hashCode() & 0xffff, physical));
        return iommu;
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    static ByteBuffer alloc(int min, int max) {
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 20).putInt(4, VFIO_IOMMU_PASID_ALLOC).putInt(8, min).putInt(12, max);
        return b;
    }

    static ByteBuffer free(int pasid) {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 12).putInt(4, VFIO_IOMMU_PASID_FREE).putInt(8, pasid);
        return b;
    }

    static int allocate(Type1Iommu iommu, int min, int max) {
        ByteBuffer b = alloc(min, max);
        iommu.ioctl(VFIO_IOMMU_PASID_REQUEST, b);
        return b.getInt(16);
    }

    static long quota(Type1Iommu iommu, int quota) {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 12).putInt(8, quota);
        return iommu.ioctl(VFIO_IOMMU_SET_PASID_QUOTA, b);
    }

    @Test
    void withoutAnIommuDomainPasidRequestsAreEinval() {
        Type1Iommu plain = container(VFIO_TYPE1v2_IOMMU, vmA, null);
        assertErrno(Errno.EINVAL, () -> allocate(plain, 1, 100));
        assertThat(model.domains()).isEmpty();
    }

    @Test
    void anIommuBackedMdevGetsAnAuxDomainAndPasidsComeFromOneSystemWideSpace() {
        Type1Iommu a = container(VFIO_TYPE1v2_IOMMU, vmA, "0000:00:02.0");
        Type1Iommu b = container(VFIO_TYPE1v2_IOMMU, vmB, "0000:00:03.0");
        assertThat(model.domains()).hasSize(2);
        assertThat(model.domains().get(0).devices()).extracting(IommuModel.Attachment::aux).containsExactly(true);
        assertThat(allocate(a, 1, 100)).isEqualTo(1);
        assertThat(allocate(b, 1, 100)).isEqualTo(2);
        assertThat(allocate(a, 50, 60)).isEqualTo(50);
        assertThat(model.pasids()).extracting(IommuModel.Pasid::vm).containsExactly("a", "b", "a");
        assertErrno(Errno.ENOSPC, () -> allocate(a, 2, 2));
        assertErrno(Errno.EINVAL, () -> allocate(a, 9, 3));
        assertErrno(Errno.ENOSPC, () -> allocate(a, 1 << 20, -1));
    }

    @Test
    void aVmFreesOnlyItsOwnPasidsAndAFailedFreeChangesNothing() {
        Type1Iommu a = container(VFIO_TYPE1v2_IOMMU, vmA, "0000:00:02.0");
        Type1Iommu b = container(VFIO_TYPE1v2_IOMMU, vmB, "0000:00:03.0");
        int pasid = allocate(a, 1, 100);
        assertErrno(Errno.EACCES, () -> b.ioctl(VFIO_IOMMU_PASID_REQUEST, free(pasid)));
        assertErrno(Errno.ENOENT, () -> a.ioctl(VFIO_IOMMU_PASID_REQUEST, free(77)));
        assertThat(model.pasidUsage(vmA.id())).containsExactly(1, VFIO_DEFAULT_PASID_QUOTA);
        a.ioctl(VFIO_IOMMU_PASID_REQUEST, free(pasid));
        assertThat(model.pasids()).isEmpty();
    }

    @Test
    void theDefaultQuotaIsAThousandAndCanBeSetButNotBelowWhatIsHeld() {
        Type1Iommu a = container(VFIO_TYPE1v2_IOMMU, vmA, "0000:00:02.0");
        for (int i = 0; i < VFIO_DEFAULT_PASID_QUOTA; i++) {
            allocate(a, 1, IoasidAllocator.PASID_MAX);
        }
        assertErrno(Errno.ENOSPC, () -> allocate(a, 1, IoasidAllocator.PASID_MAX));
        assertErrno(Errno.EINVAL, () -> quota(a, 999));
        assertThat(quota(a, 1001)).isEqualTo(1001);
        allocate(a, 1, IoasidAllocator.PASID_MAX);
        assertThat(model.pasidUsage(vmA.id())).containsExactly(1001, 1001);
    }

    @Test
    void theVmsLastContainerReclaimsItsPasids() {
        Type1Iommu first = container(VFIO_TYPE1v2_IOMMU, vmA, "0000:00:02.0");
        Type1Iommu second = container(VFIO_TYPE1v2_IOMMU, vmA, "0000:00:04.0");
        allocate(first, 1, 100);
        allocate(second, 1, 100);
        assertThat(model.pasidUsage(vmA.id())).as("one vfio_mm for both containers").containsExactly(2, 1000);
        first.release();
        assertThat(model.pasids()).hasSize(2);
        second.release();
        assertThat(model.pasids()).isEmpty();
        assertThat(model.pasidUsage(vmA.id())).isNull();
        assertThat(model.domains()).isEmpty();
    }

    @Test
    void pasidRequestsAreCheckedAsStructs() {
        Type1Iommu a = container(VFIO_TYPE1v2_IOMMU, vmA, "0000:00:02.0");
        assertErrno(Errno.EINVAL, () -> a.ioctl(VFIO_IOMMU_PASID_REQUEST, alloc(1, 2).putInt(4, 3)));
        assertErrno(Errno.EINVAL, () -> a.ioctl(VFIO_IOMMU_PASID_REQUEST, alloc(1, 2).putInt(4, 0)));
        assertErrno(Errno.EINVAL, () -> a.ioctl(VFIO_IOMMU_PASID_REQUEST, alloc(1, 2).putInt(4, 0x101)));
        assertErrno(Errno.EINVAL, () -> a.ioctl(VFIO_IOMMU_PASID_REQUEST, alloc(1, 2).putInt(0, 16)));
        assertErrno(Errno.EINVAL, () -> a.ioctl(VFIO_IOMMU_PASID_REQUEST, alloc(1, 2).putInt(0, 7)));
        ByteBuffer shortBuffer = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 20)
                .putInt(4, VFIO_IOMMU_PASID_ALLOC);
        assertErrno(Errno.EFAULT, () -> a.ioctl(VFIO_IOMMU_PASID_REQUEST, shortBuffer));
        ByteBuffer flaggedQuota = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 12).putInt(4, 1);
        assertErrno(Errno.EINVAL, () -> a.ioctl(VFIO_IOMMU_SET_PASID_QUOTA, flaggedQuota));
        assertThat(model.pasids()).isEmpty();
    }

    @Test
    void aNestingContainerReportsTheStage1FormatAfterTheIovaRanges() {
        Type1Iommu nested = container(VFIO_TYPE1_NESTING_IOMMU, vmA, "0000:00:02.0");
        ByteBuffer b = ByteBuffer.allocate(88).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 88);
        nested.ioctl(VFIO_IOMMU_GET_INFO, b);
        assertThat(b.getInt(0)).isEqualTo(88);
        assertThat(b.getInt(16)).as("cap_offset").isEqualTo(24);
        assertThat(b.getInt(28)).as("IOVA range cap's next").isEqualTo(72);
        assertThat(b.getShort(72)).as("id NESTING").isEqualTo((short) 2);
        assertThat(b.getShort(74)).as("version").isEqualTo((short) 1);
        assertThat(b.getInt(76)).as("next").isZero();
        assertThat(b.getInt(80)).as("pasid_format VT-d").isEqualTo(1);
        assertThat(model.domains().get(0).nesting()).isTrue();
    }

    @Test
    void domainsThatDisagreeOnTheFormatAnswerEinval() {
        model.setPasidFormat("0000:00:05.0", 2);
        Type1Iommu nested = container(VFIO_TYPE1_NESTING_IOMMU, vmA, "0000:00:02.0");
        nested.attachGroup(group(9, "0000:00:05.0"));
        assertThat(model.domains()).hasSize(2);
        ByteBuffer b = ByteBuffer.allocate(88).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 88);
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_GET_INFO, b));
    }
}
