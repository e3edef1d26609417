package vfio.type1.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.IommuUapiCodec;
import vfio.core.VfioIommuGroup;
import vfio.core.VmAddressSpace;
import vfio.type1.IommuModel;

/** Seed 002 patches 6-8: guest page-table bind, cache invalidation, through aux domains. */
class SvaTest {
    final PlatformModel model = new PlatformModel();
    final VmAddressSpace vm = new VmAddressSpace("vm");
    final Type1Iommu nested = new Type1Iommu(VFIO_TYPE1_NESTING_IOMMU, vm, model, () -> { });

    SvaTest() {
        nested.attachGroup(PasidTest.group(1, "0000:00:02.0"));
        nested.attachGroup(PasidTest.group(2, "0000:00:03.0"));
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    /** vfio_iommu_type1_bind + iommu_gpasid_bind_data, written out by hand. */
    static ByteBuffer bindArg(int flags, long hpasid) {
        ByteBuffer b = ByteBuffer.allocate(80).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 80).putInt(4, flags);
        b.putInt(8, 1);                 // version
        b.putInt(12, 1);                // format VT-d
        b.putLong(16, 1);               // flags: GPASID_VAL
        b.putLong(24, 0x1234_5000L);    // gpgd
        b.putLong(32, hpasid);          // hpasid
        b.putLong(40, 7);               // gpasid
        b.putInt(48, 48);               // addr_width
        b.putLong(64, 0x1);             // vtd.flags: SRE
        return b;
    }

    void bind(long hpasid) {
        nested.ioctl(VFIO_IOMMU_BIND, bindArg(VFIO_IOMMU_BIND_GUEST_PGTBL, hpasid));
    }

    void unbind(long hpasid) {
        nested.ioctl(VFIO_IOMMU_BIND, bindArg(VFIO_IOMMU_UNBIND_GUEST_PGTBL, hpasid));
    }

    int pasid() {
        return PasidTest.allocate(nested, 1, 1000);
    }

    @Test
    void theBindStructIsReadAtTheKernelsOffsets() {
        IommuUapiCodec.Bind bind = IommuUapiCodec.decodeBind(bindArg(VFIO_IOMMU_BIND_GUEST_PGTBL, 5));
        assertThat(bind.bind()).isTrue();
        assertThat(bind.data()).isEqualTo(new IommuUapiCodec.GpasidBind(1, 1, 0x1234_5000L, 5, 7, 48, 1, 0, 0));
    }

    @Test
    void aBindReachesEveryDeviceThroughItsAuxDomain() {
        int pasid = pasid();
        bind(pasid);
        assertThat(model.domains()).hasSize(1);
        assertThat(model.binds()).extracting(IommuModel.GpasidBind::physicalDevice)
                .containsExactly("0000:00:02.0", "0000:00:03.0");
        assertThat(model.binds().get(0).gpgd()).isEqualTo(0x1234_5000L);
        assertErrno(Errno.EBUSY, () -> bind(pasid));
        assertThat(model.binds()).hasSize(2);
        unbind(pasid);
        assertThat(model.binds()).isEmpty();
        assertErrno(Errno.EINVAL, () -> unbind(pasid));
    }

    @Test
    void aFailurePartWayUndoesOnlyWhatThisCallBound() {
        int earlier = pasid();
        bind(earlier);
        int pasid = pasid();
        model.failNthBind(2, Errno.EIO);
        assertErrno(Errno.EIO, () -> bind(pasid));
        assertThat(model.binds()).extracting(IommuModel.GpasidBind::hpasid).containsOnly((long) earlier);
        bind(pasid);
        assertThat(model.binds()).hasSize(4);
    }

    @Test
    void onlyAPasidTheVmOwnsMayBeBound() {
        Type1Iommu other = new Type1Iommu(VFIO_TYPE1_NESTING_IOMMU, new VmAddressSpace("other"), model, () -> { });
        other.attachGroup(PasidTest.group(3, "0000:00:04.0"));
        int theirs = PasidTest.allocate(other, 1, 1000);
        assertErrno(Errno.EACCES, () -> bind(theirs));
        assertErrno(Errno.ENOENT, () -> bind(999));
        assertThat(model.binds()).isEmpty();
    }

    @Test
    void aContainerThatDoesNotNestCannotBind() {
        Type1Iommu flat = new Type1Iommu(VFIO_TYPE1v2_IOMMU, vm, model, () -> { });
        flat.attachGroup(PasidTest.group(4, "0000:00:05.0"));
        int pasid = PasidTest.allocate(flat, 1, 1000);
        assertErrno(Errno.EINVAL, () -> flat.ioctl(VFIO_IOMMU_BIND, bindArg(VFIO_IOMMU_BIND_GUEST_PGTBL, pasid)));
    }

    @Test
    void freeingOrReclaimingAPasidUnbindsItFirst() {
        int freed = pasid();
        int kept = pasid();
        bind(freed);
        bind(kept);
        nested.ioctl(VFIO_IOMMU_PASID_REQUEST, PasidTest.free(freed));
        assertThat(model.binds()).extracting(IommuModel.GpasidBind::hpasid).containsOnly((long) kept);
        nested.release();
        assertThat(model.binds()).isEmpty();
        assertThat(model.pasids()).isEmpty();
    }

    @Test
    void malformedBindsAreRejectedBeforeAnythingIsBound() {
        int pasid = pasid();
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_BIND, bindArg(3, pasid)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_BIND, bindArg(1, pasid).putInt(8, 2)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_BIND, bindArg(1, pasid).putInt(12, 2)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_BIND, bindArg(1, pasid).putLong(16, 2)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_BIND, bindArg(1, pasid).putInt(48, 32)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_BIND, bindArg(1, pasid).putLong(64, 0x40)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_BIND, bindArg(1, pasid).putInt(0, 40)));
        ByteBuffer truncated = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 80).putInt(4, 1).putInt(8, 1);
        assertErrno(Errno.EFAULT, () -> nested.ioctl(VFIO_IOMMU_BIND, truncated));
        assertThat(model.binds()).isEmpty();
    }

    /** vfio_iommu_type1_cache_invalidate + iommu_cache_invalidate_info, by hand. */
    static ByteBuffer invalidateArg(int cache, int granularity, long pasid, long addr) {
        ByteBuffer b = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 56);
        b.putInt(8, 1);                      // version
        b.put(12, (byte) cache);
        b.put(13, (byte) granularity);
        b.putInt(16, 1);                     // flags: PASID valid
        b.putLong(24, pasid);
        b.putLong(32, addr);
        b.putLong(40, 4096);                 // granule_size
        b.putLong(48, 2);                    // nb_granules
        return b;
    }

    @Test
    void cacheInvalidationsReachEveryDevice() {
        int ours = pasid();
        nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(1, 2, ours, 0x7000));
        assertThat(model.invalidations()).extracting(IommuModel.Invalidation::physicalDevice)
                .containsExactly("0000:00:02.0", "0000:00:03.0");
        IommuModel.Invalidation first = model.invalidations().get(0);
        assertThat(first.cache()).isEqualTo(1);
        assertThat(first.granularity()).isEqualTo(2);
        assertThat(first.pasid()).isEqualTo(ours);
        assertThat(first.addr()).isEqualTo(0x7000);
        assertThat(first.nbGranules()).isEqualTo(2);
    }

    @Test
    void aBindOnASharedAuxDomainLivesWhileAnyMdevOfTheParentUsesIt() {
        // a third mdev of the parent at 0000:00:02.0: its aux domain is shared with group 1's mdev
        VfioIommuGroup sibling = PasidTest.group(4, "0000:00:02.0");
        nested.attachGroup(sibling);
        int p = pasid();
        bind(p);
        assertThat(model.binds()).extracting(IommuModel.GpasidBind::physicalDevice)
                .containsExactlyInAnyOrder("0000:00:02.0", "0000:00:03.0");
        // the first mdev on 0000:00:02.0 leaves: the sibling still uses the domain, the bind stays
        nested.detachGroup(PasidTest.group(1, "0000:00:02.0"));
        assertThat(model.binds()).extracting(IommuModel.GpasidBind::physicalDevice)
                .containsExactlyInAnyOrder("0000:00:02.0", "0000:00:03.0");
        unbind(p);
        assertThat(model.binds()).isEmpty();
        // and when the last one leaves, its binds go with it
        bind(p);
        nested.detachGroup(sibling);
        assertThat(model.binds()).extracting(IommuModel.GpasidBind::physicalDevice).containsExactly("0000:00:03.0");
    }

    @Test
    void onlyPasidsTheVmOwnsMayBeInvalidated() {
        Type1Iommu other = new Type1Iommu(VFIO_TYPE1_NESTING_IOMMU, new VmAddressSpace("other"), model, () -> { });
        other.attachGroup(PasidTest.group(3, "0000:00:04.0"));
        int theirs = PasidTest.allocate(other, 1, 1000);
        // PASID- and address-selective invalidations naming another VM's PASID, or none allocated
        assertErrno(Errno.EACCES, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(1, 2, theirs, 0x7000)));
        assertErrno(Errno.EACCES, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(2, 1, theirs, 0)));
        assertErrno(Errno.ENOENT, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(1, 2, 999, 0x7000)));
        assertThat(model.invalidations()).as("nothing reached the IOMMU").isEmpty();
        // a domain-selective one names no PASID
        nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(1, 0, theirs, 0).putInt(16, 0));
        assertThat(model.invalidations()).hasSize(2);
    }

    @Test
    void malformedInvalidationsAreRejected() {
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(1, 2, 9, 0).putInt(4, 1)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(1, 2, 9, 0).putInt(8, 2)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(0, 2, 9, 0)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(8, 2, 9, 0)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(1, 3, 9, 0)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(1, 1, 9, 0).putInt(16, 4)));
        assertErrno(Errno.EINVAL, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, invalidateArg(1, 2, 9, 0).putInt(0, 55)));
        assertErrno(Errno.EFAULT, () -> nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE,
                ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 56)));
        assertThat(model.invalidations()).isEmpty();
    }
}
