package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.util.Hashtable;
import java.util.Map;
import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceRegistration;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevConstants;
import mdev.core.MdevParent;
import vfio.core.FileTable;
import vfio.core.IommuUapiCodec;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;
import vfio.type1.IommuModel;

/** Seed 002 in Felix: PASIDs of IOMMU-backed mdevs per VM, quota, isolation, reclaim. */
class PasidIT extends BusTest {
    @InjectService
    VfioService vfio;

    ServiceRegistration<MdevParent> parent;
    ServiceRegistration<MdevParent> secondParent;

    /** Two parents whose mdevs are IOMMU-backed by two physical devices. */
    @BeforeEach
    void registerIommuBackedParents() {
        parent = context.registerService(MdevParent.class, new DmaTestParent("svatest", "0000:00:02.0"),
                new Hashtable<>(Map.of(MdevConstants.PARENT, "svatest")));
        secondParent = context.registerService(MdevParent.class, new DmaTestParent("svatest2", "0000:00:03.0"),
                new Hashtable<>(Map.of(MdevConstants.PARENT, "svatest2")));
        Fixture.awaitParent(bus, "svatest");
        Fixture.awaitParent(bus, "svatest2");
    }

    @AfterEach
    void unregisterParents() {
        model().failNthBind(0, null);
        parent.unregister();
        secondParent.unregister();
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    /** A VM with one IOMMU-backed mdev in a nesting container; the device file stays open. */
    private record Vm(VmAddressSpace memory, FileTable files, VfioContainer container, VfioGroup group,
            VfioDeviceFile device) {
        void close() {
            device.close();
            group.close();
            container.close();
        }
    }

    private Vm startVm(String name) {
        UUID uuid = UUID.randomUUID();
        bus.create("svatest", "svatest-1", uuid);
        Fixture.vfioDevice(context, uuid);
        VmAddressSpace memory = new VmAddressSpace(name);
        FileTable files = new FileTable();
        VfioContainer container = vfio.openContainer(memory, files);
        assertThat(container.iommuUapiVersion()).isEqualTo(IOMMU_UAPI_VERSION);
        VfioGroup group = vfio.openGroup(vfio.groupOf(uuid.toString()), files);
        group.setContainer(container);
        container.setIommu(VFIO_TYPE1_NESTING_IOMMU);
        return new Vm(memory, files, container, group, group.getDevice(uuid.toString()));
    }

    private IommuModel model() {
        return context.getService(context.getServiceReference(IommuModel.class));
    }

    @Test
    void pasidsUpToTheQuotaAndTheNestingFormat() {
        Vm vm = startVm("vm1");
        assertThat(vm.container().iommuInfo().pasidFormat()).isEqualTo(IOMMU_PASID_FORMAT_INTEL_VTD);
        assertThat(vm.container().setPasidQuota(5)).isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            vm.container().allocPasid(1, 1000);
        }
        assertErrno(Errno.ENOSPC, () -> vm.container().allocPasid(1, 1000));
        assertErrno(Errno.EINVAL, () -> vm.container().setPasidQuota(4));
        assertThat(model().pasidUsage(vm.memory().id())).containsExactly(5, 5);
        vm.close();
    }

    @Test
    void twoVmsCannotTouchEachOthersPasids() {
        Vm a = startVm("a");
        Vm b = startVm("b");
        int pasidOfA = a.container().allocPasid(1, 1 << 19);
        int pasidOfB = b.container().allocPasid(1, 1 << 19);
        assertThat(pasidOfA).isNotEqualTo(pasidOfB);
        assertErrno(Errno.EACCES, () -> b.container().freePasid(pasidOfA));
        assertErrno(Errno.EACCES, () -> a.container().freePasid(pasidOfB));
        assertThat(model().pasids()).extracting(IommuModel.Pasid::pasid).contains(pasidOfA, pasidOfB);
        a.container().freePasid(pasidOfA);
        assertErrno(Errno.ENOENT, () -> a.container().freePasid(pasidOfA));
        a.close();
        b.close();
    }

    @Test
    void closingTheVmsLastContainerReclaimsItsPasids() {
        Vm vm = startVm("vm");
        vm.container().allocPasid(1, 100);
        vm.container().allocPasid(1, 100);
        assertThat(model().pasidUsage(vm.memory().id())).containsExactly(2, VFIO_DEFAULT_PASID_QUOTA);
        vm.device().close();
        vm.container().close();
        assertThat(model().pasids()).as("the group still holds the container").hasSize(2);
        vm.group().close();
        assertThat(model().pasidUsage(vm.memory().id())).isNull();
        assertThat(model().pasids()).extracting(IommuModel.Pasid::vm).doesNotContain("vm");
    }

    @Test
    void stoppingVfioType1ReleasesEveryPasid() throws Exception {
        Vm vm = startVm("vm");
        vm.container().allocPasid(1, 100);
        Bundle type1 = Fixture.bundle(context, "vfio.type1");
        IommuModel before = model();
        type1.stop();
        try {
            assertThat(before.pasids()).isEmpty();
            assertThat(before.domains()).isEmpty();
            assertErrno(Errno.ENODEV, () -> vm.container().allocPasid(1, 100));
        } finally {
            type1.start();
        }
        vm.close();
    }

    @Test
    void aBindAcrossTwoDevicesWithAnInjectedFailureRollsBack() {
        Vm vm = startVm("vm");
        UUID second = UUID.randomUUID();
        bus.create("svatest2", "svatest2-1", second);
        Fixture.vfioDevice(context, second);
        VfioGroup group2 = vfio.openGroup(vfio.groupOf(second.toString()), vm.files());
        group2.setContainer(vm.container());
        VfioDeviceFile device2 = group2.getDevice(second.toString());
        int pasid = vm.container().allocPasid(1, 1000);
        IommuUapiCodec.GpasidBind data = new IommuUapiCodec.GpasidBind(IOMMU_PASID_FORMAT_INTEL_VTD,
                IommuUapiCodec.IOMMU_SVA_GPASID_VAL, 0xabc000, pasid, 5, 48, 0, 0, 0);

        model().failNthBind(2, Errno.ENOMEM);
        assertErrno(Errno.ENOMEM, () -> vm.container().bindGuestPgtbl(data));
        assertThat(model().binds()).as("the first device's bind was undone").isEmpty();

        vm.container().bindGuestPgtbl(data);
        assertThat(model().binds()).extracting(IommuModel.GpasidBind::physicalDevice)
                .containsExactlyInAnyOrder("0000:00:02.0", "0000:00:03.0");
        vm.container().cacheInvalidate(new IommuUapiCodec.CacheInvalidate(1, IommuUapiCodec.IOMMU_INV_GRANU_PASID,
                1, 0, pasid, 0, 0, 0));
        assertThat(model().invalidations()).extracting(IommuModel.Invalidation::pasid).contains((long) pasid);

        device2.close();
        group2.close();
        vm.close();
        assertThat(model().binds()).as("reclaim unbinds").isEmpty();
    }

    @Test
    void aPlainMdevContainerHasNoDomainForPasids() {
        UUID uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-1", uuid);
        Fixture.vfioDevice(context, uuid);
        FileTable files = new FileTable();
        VfioContainer container = vfio.openContainer(new VmAddressSpace("plain"), files);
        VfioGroup group = vfio.openGroup(vfio.groupOf(uuid.toString()), files);
        group.setContainer(container);
        container.setIommu(VFIO_TYPE1v2_IOMMU);
        assertErrno(Errno.EINVAL, () -> container.allocPasid(1, 100));
        group.close();
        container.close();
    }
}
