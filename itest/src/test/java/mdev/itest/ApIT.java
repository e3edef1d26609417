package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevType;
import vfio.core.FileTable;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;

/**
 * Issue 8: the vfio_ap matrix device on the default AP bus (adapters 3, 4, 5,
 * domains 4, 5, 71; apmask 5 and aqmask 4, 5, 71 keep adapter 5 for the host), matrices set through device
 * attributes, the guest association at open, and stopping vendor.ap.
 */
class ApIT extends BusTest {
    @InjectService
    VfioService vfio;

    final FileTable files = new FileTable();

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    VfioDeviceFile openFor(VmAddressSpace vm, UUID uuid) {
        return Fixture.groupInContainer(context, vfio, uuid, vfio.openContainer(vm, files), files)
                .getDevice(uuid.toString());
    }

    @Test
    void matricesThroughAttributesWithTheKernelsConflictRules() {
        Fixture.awaitParent(bus, "matrix");
        assertThat(bus.types("matrix")).singleElement().extracting(MdevType::id, MdevType::deviceApi,
                MdevType::availableInstances).containsExactly("vfio_ap-passthrough", "vfio-ap", 256L);
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        bus.create("matrix", "vfio_ap-passthrough", a);
        bus.create("matrix", "vfio_ap-passthrough", b);
        assertThat(bus.types("matrix").get(0).availableInstances()).isEqualTo(254L);
        assertThat(bus.attributes(a)).containsExactly("assign_adapter", "unassign_adapter", "assign_domain",
                "unassign_domain", "assign_control_domain", "unassign_control_domain", "control_domains", "matrix");
        bus.writeAttribute(a, "assign_adapter", "3\n");
        bus.writeAttribute(a, "assign_domain", "0x4\n");
        bus.writeAttribute(a, "assign_domain", "5\n");
        bus.writeAttribute(a, "assign_control_domain", "4\n");
        assertThat(bus.readAttribute(a, "matrix")).isEqualTo("03.0004\n03.0005\n");
        assertThat(bus.readAttribute(a, "control_domains")).isEqualTo("0004\n");
        bus.writeAttribute(b, "assign_domain", "4\n");
        assertErrno(Errno.EADDRINUSE, () -> bus.writeAttribute(b, "assign_adapter", "3\n"));
        assertErrno(Errno.EADDRNOTAVAIL, () -> bus.writeAttribute(b, "assign_adapter", "5\n"));
        assertErrno(Errno.ENODEV, () -> bus.writeAttribute(b, "assign_adapter", "256\n"));
        assertErrno(Errno.EINVAL, () -> bus.writeAttribute(b, "assign_adapter", "x\n"));
        assertErrno(Errno.EACCES, () -> bus.readAttribute(b, "assign_adapter"));
        assertThat(bus.readAttribute(b, "matrix")).isEqualTo(".0004\n");
    }

    @Test
    void openNeedsAGuestAndFixesTheMatrix() {
        Fixture.awaitParent(bus, "matrix");
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        bus.create("matrix", "vfio_ap-passthrough", a);
        bus.create("matrix", "vfio_ap-passthrough", b);
        bus.writeAttribute(a, "assign_adapter", "4\n");
        assertErrno(Errno.EINVAL, () -> Fixture.vfioDevice(context, a).open(files));
        VmAddressSpace guest = new VmAddressSpace("ap-guest");
        try (VfioDeviceFile device = openFor(guest, a)) {
            assertThat(device.getInfo().flags()).isEqualTo(VFIO_DEVICE_FLAGS_AP | VFIO_DEVICE_FLAGS_RESET);
            assertThat(device.getInfo().numRegions()).isZero();
            device.reset();
            assertErrno(Errno.EBUSY, () -> bus.writeAttribute(a, "assign_domain", "4\n"));
            assertErrno(Errno.EPERM, () -> openFor(guest, b));
        }
        bus.writeAttribute(a, "assign_domain", "4\n");
        assertThat(bus.readAttribute(a, "matrix")).isEqualTo("04.0004\n");
    }

    @Test
    void theHostTakesBackOnlyQueuesNoMdevHolds() {
        Fixture.awaitParent(bus, "matrix");
        vendor.ap.ApBus apBus = context.getService(context.getServiceReference(vendor.ap.ApBus.class));
        String apmask = apBus.apmask();
        UUID a = UUID.randomUUID();
        bus.create("matrix", "vfio_ap-passthrough", a);
        bus.writeAttribute(a, "assign_adapter", "3\n");
        bus.writeAttribute(a, "assign_domain", "4\n");
        assertErrno(Errno.EBUSY, () -> apBus.writeApmask("+3\n"));
        assertThat(apBus.apmask()).isEqualTo(apmask);
        assertErrno(Errno.EINVAL, () -> apBus.writeApmask("+300\n"));
        apBus.writeApmask("-5\n");
        try {
            bus.writeAttribute(a, "assign_adapter", "5\n");
            assertThat(bus.readAttribute(a, "matrix")).isEqualTo("03.0004\n05.0004\n");
            assertErrno(Errno.EBUSY, () -> apBus.writeApmask("+5\n"));
            bus.writeAttribute(a, "unassign_adapter", "5\n");
        } finally {
            apBus.writeApmask("+5\n");
        }
        assertThat(apBus.apmask()).isEqualTo(apmask);
    }

    @Test
    void stoppingVendorApDropsEveryMdevAndFreesItsQueues() {
        Bundle ap = Fixture.bundle(context, "vendor.ap");
        Fixture.awaitParent(bus, "matrix");
        UUID a = UUID.randomUUID();
        bus.create("matrix", "vfio_ap-passthrough", a);
        bus.writeAttribute(a, "assign_adapter", "3\n");
        bus.writeAttribute(a, "assign_domain", "4\n");
        VfioDeviceFile device = openFor(new VmAddressSpace("ap-guest"), a);
        Fixture.stop(ap);
        try {
            assertThat(bus.parents()).doesNotContain("matrix");
            assertErrno(Errno.ENODEV, device::getInfo);
            assertErrno(Errno.ENODEV, () -> bus.readAttribute(a, "matrix"));
        } finally {
            device.close();
            Fixture.start(ap);
        }
        Fixture.awaitParent(bus, "matrix");
        UUID again = UUID.randomUUID();
        bus.create("matrix", "vfio_ap-passthrough", again);
        bus.writeAttribute(again, "assign_adapter", "3\n");
        bus.writeAttribute(again, "assign_domain", "4\n");
        assertThat(bus.readAttribute(again, "matrix")).isEqualTo("03.0004\n");
    }
}
