package vfio.type1.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static vfio.core.Vfio.*;
import static vfio.type1.internal.SvaTest.assertErrno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import vfio.core.VfioDma;
import vfio.core.VmAddressSpace;

/**
 * PASID-tagged DMA in nesting mode: an address goes through the guest page table bound to the
 * PASID (first level, x86-64 paging) and then through the container's mappings, and the IOMMU
 * caches what it walked until CACHE_INVALIDATE says otherwise.
 */
class PasidTranslationTest {
    static final String DEVICE = "0000:00:02.0";
    /** Guest-physical layout: page tables at 0x10000.., data pages at 0x20000... */
    static final long PML4 = 0x10000, PDPT = 0x11000, PD = 0x12000, PT = 0x13000;
    static final long VA = 0x40_0000L;   // PML4[0] PDPT[0] PD[2] PT[0]

    final PlatformModel model = new PlatformModel();
    final VmAddressSpace vm = new VmAddressSpace("vm");
    final Type1Iommu nested = new Type1Iommu(VFIO_TYPE1_NESTING_IOMMU, vm, model, () -> { });
    final ByteBuffer guest;
    final int pasid;

    PasidTranslationTest() {
        guest = vm.allocate(0x100000, 0x40000).order(ByteOrder.LITTLE_ENDIAN);
        nested.map(0, 0x40000, 0x100000, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        nested.attachGroup(PasidTest.group(1, DEVICE));
        pasid = PasidTest.allocate(nested, 1, 1000);
        pte(PML4, PDPT | 3);
        pte(PDPT, PD | 3);
        pte(PD + 2 * 8, PT | 3);
        pte(PT, 0x20000 | 3);            // VA -> 0x20000, writable
        pte(PT + 8, 0x21000 | 1);        // VA + 4K -> 0x21000, read-only
    }

    void pte(long gpa, long value) {
        guest.putLong((int) gpa, value);
    }

    void bind(long gpgd) {
        ByteBuffer arg = SvaTest.bindArg(VFIO_IOMMU_BIND_GUEST_PGTBL, pasid).putLong(24, gpgd);
        nested.ioctl(VFIO_IOMMU_BIND, arg);
    }

    long translate(long address, int prot) {
        return nested.translatePasid(DEVICE, pasid, address, prot);
    }

    @Test
    void anAddressIsWalkedThroughTheBoundTableToGuestMemory() {
        bind(PML4);
        assertThat(translate(VA + 0x123, VfioDma.IOMMU_WRITE)).isEqualTo(0x20123);
        assertThat(translate(VA + 0x1008, VfioDma.IOMMU_READ)).isEqualTo(0x21008);
        guest.putLong(0x20123, 0x1122334455667788L);
        ByteBuffer read = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        nested.read(translate(VA + 0x123, VfioDma.IOMMU_READ), read);
        assertThat(read.getLong(0)).isEqualTo(0x1122334455667788L);
    }

    @Test
    void largePagesEndTheWalkEarly() {
        pte(PD + 3 * 8, 0x20_0000L | 0x83);            // VA 0x600000: a 2 MiB page at GPA 0x200000
        bind(PML4);
        assertThat(translate(0x61_2345L, VfioDma.IOMMU_READ)).isEqualTo(0x21_2345L);
    }

    @Test
    void faultsNameTheAddressAndNothingIsTranslatedWithoutABind() {
        assertErrno(Errno.EFAULT, () -> translate(VA, VfioDma.IOMMU_READ));
        bind(PML4);
        assertErrno(Errno.EFAULT, () -> translate(VA + 0x1000, VfioDma.IOMMU_WRITE));   // read-only leaf
        assertErrno(Errno.EFAULT, () -> translate(VA + 0x2000, VfioDma.IOMMU_READ));    // not present
        assertErrno(Errno.EFAULT, () -> translate(0x8000_0000_0000L, VfioDma.IOMMU_READ)); // not canonical
        assertErrno(Errno.EFAULT, () -> nested.translatePasid("0000:00:09.0", pasid, VA, VfioDma.IOMMU_READ));
        assertErrno(Errno.EINVAL, () -> translate(VA, 0));
    }

    @Test
    void aTableOutsideGuestMemoryFaults() {
        bind(0x80_0000L);
        assertErrno(Errno.EFAULT, () -> translate(VA, VfioDma.IOMMU_READ));
    }

    @Test
    void theIommuKeepsWhatItWalkedUntilTheGuestInvalidates() {
        bind(PML4);
        assertThat(translate(VA, VfioDma.IOMMU_READ)).isEqualTo(0x20000);
        pte(PT, 0x22000 | 3);    // the guest remaps the page without telling the IOMMU
        assertThat(translate(VA, VfioDma.IOMMU_READ)).as("stale, as an IOTLB is").isEqualTo(0x20000);
        // an address-selective invalidation of another page leaves it
        nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, SvaTest.invalidateArg(1, 2, pasid, VA + 0x10000));
        assertThat(translate(VA, VfioDma.IOMMU_READ)).isEqualTo(0x20000);
        nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, SvaTest.invalidateArg(1, 2, pasid, VA));
        assertThat(translate(VA, VfioDma.IOMMU_READ)).isEqualTo(0x22000);
        // PASID- and domain-selective ones drop everything of the bind
        pte(PT, 0x23000 | 3);
        nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, SvaTest.invalidateArg(1, 1, pasid, 0));
        assertThat(translate(VA, VfioDma.IOMMU_READ)).isEqualTo(0x23000);
        pte(PT, 0x24000 | 3);
        nested.ioctl(VFIO_IOMMU_CACHE_INVALIDATE, SvaTest.invalidateArg(1, 0, 0, 0).putInt(16, 0));
        assertThat(translate(VA, VfioDma.IOMMU_READ)).isEqualTo(0x24000);
    }

    @Test
    void unbindingDropsTheTableAndItsCache() {
        bind(PML4);
        translate(VA, VfioDma.IOMMU_READ);
        nested.ioctl(VFIO_IOMMU_BIND, SvaTest.bindArg(VFIO_IOMMU_UNBIND_GUEST_PGTBL, pasid));
        assertErrno(Errno.EFAULT, () -> translate(VA, VfioDma.IOMMU_READ));
        pte(PT, 0x25000 | 3);
        bind(PML4);
        assertThat(translate(VA, VfioDma.IOMMU_READ)).isEqualTo(0x25000);
    }

    @Test
    void anotherContainerCannotUseTheBind() {
        bind(PML4);
        Type1Iommu other = new Type1Iommu(VFIO_TYPE1_NESTING_IOMMU, new VmAddressSpace("other"), model, () -> { });
        other.attachGroup(PasidTest.group(2, "0000:00:03.0"));
        assertErrno(Errno.EFAULT, () -> other.translatePasid(DEVICE, pasid, VA, VfioDma.IOMMU_READ));
    }
}
