package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevDevice;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioRegions;

/** (b)-(d): vendor and class-driver bundles stopped, started, uninstalled while devices are in use. */
class HotPlugIT extends BusTest {

    private static void assertEnodev(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
    }

    /** Every call on a file of a device that has gone answers ENODEV and nothing else. */
    private static void assertAllCallsEnodev(VfioDeviceFile file) {
        assertEnodev(() -> file.readRegion(0, 0, 1));
        assertEnodev(() -> file.writeRegion(0, 0, (byte) 1));
        assertEnodev(() -> file.read(ByteBuffer.allocate(4), VfioRegions.position(7, 0)));
        assertEnodev(file::getInfo);
        assertEnodev(() -> file.getRegionInfo(0));
        assertEnodev(() -> file.ioctl(Vfio.VFIO_DEVICE_RESET, null));
        assertEnodev(() -> file.mmap(0, 4096));
        file.close();
    }

    @Test
    void stoppingTheVendorRemovesItsDevicesAndOpenFilesAnswerEnodev() {
        Bundle mtty = Fixture.bundle(context, "samples.mtty");
        UUID open = UUID.randomUUID();
        UUID idle = UUID.randomUUID();
        bus.create("mtty", "mtty-2", open);
        bus.create("mtty", "mtty-1", idle);
        VfioDeviceFile file = Fixture.vfioDevice(context, open).open(new FileTable());
        file.writeRegion(0, 0, (byte) 'a');

        Fixture.stop(mtty);

        assertThat(bus.parents()).doesNotContain("mtty");
        assertThat(bus.devices()).isEmpty();
        assertThat(Fixture.hasMdevService(context, open)).isFalse();
        assertThat(Fixture.hasMdevService(context, idle)).isFalse();
        assertThat(Fixture.vfioDeviceOrNull(context, open)).isNull();
        assertAllCallsEnodev(file);
        assertThatThrownBy(() -> bus.create("mtty", "mtty-1", UUID.randomUUID()))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));

        Fixture.start(mtty);
        Fixture.awaitParent(bus, "mtty");
        assertThat(bus.types("mtty").get(0).availableInstances()).isEqualTo(24);
        bus.create("mtty", "mtty-2", open);
        try (VfioDeviceFile again = Fixture.vfioDevice(context, open).open(new FileTable())) {
            again.writeRegion(0, 0, (byte) 'b');
            assertThat(again.readRegion(0, 0, 1)).containsExactly('b');
        }
    }

    @Test
    void stoppingTheClassDriverUnbindsAndStartingItRebindsTheSameDevices() {
        Bundle vfioMdev = Fixture.bundle(context, "vfio.mdev");
        List<UUID> uuids = List.of(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
        for (UUID uuid : uuids) {
            bus.create("mtty", "mtty-1", uuid);
        }
        VfioDeviceFile file = Fixture.vfioDevice(context, uuids.get(0)).open(new FileTable());
        assertThat(bus.device(uuids.get(0)).orElseThrow().openCount()).isEqualTo(1);

        Fixture.stop(vfioMdev);

        for (UUID uuid : uuids) {
            assertThat(Fixture.vfioDeviceOrNull(context, uuid)).isNull();
            assertThat(bus.isBound(uuid)).isFalse();
            assertThat(Fixture.hasMdevService(context, uuid)).as("the mdev stays on the bus").isTrue();
        }
        assertThat(bus.device(uuids.get(0)).orElseThrow().openCount()).as("unbind released the open").isZero();
        assertAllCallsEnodev(file);
        // Unbound and closed: the device can be removed again.
        bus.remove(uuids.get(2));

        Fixture.start(vfioMdev);
        for (UUID uuid : uuids.subList(0, 2)) {
            try (VfioDeviceFile again = Fixture.vfioDevice(context, uuid).open(new FileTable())) {
                assertThat(bus.isBound(uuid)).isTrue();
                again.writeRegion(0, 7, (byte) 0x5a);
                assertThat(again.readRegion(0, 7, 1)).containsExactly(0x5a);
            }
        }
        assertThat(Fixture.vfioDeviceOrNull(context, uuids.get(2))).isNull();
    }

    @Test
    void devicesCreatedWhileNoClassDriverWaitUnboundUntilOneArrives() {
        Bundle vfioMdev = Fixture.bundle(context, "vfio.mdev");
        Fixture.stop(vfioMdev);
        UUID uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-1", uuid);
        assertThat(bus.isBound(uuid)).isFalse();
        assertThat(Fixture.vfioDeviceOrNull(context, uuid)).isNull();
        Fixture.start(vfioMdev);
        Fixture.vfioDevice(context, uuid).open(new FileTable()).close();
        assertThat(bus.isBound(uuid)).isTrue();
    }

    @Test
    void uninstallingAndReinstallingTheVendorBundle() throws Exception {
        Bundle mtty = Fixture.bundle(context, "samples.mtty");
        String location = mtty.getLocation();
        UUID uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-1", uuid);
        VfioDeviceFile file = Fixture.vfioDevice(context, uuid).open(new FileTable());

        mtty.uninstall();

        assertThat(bus.parents()).doesNotContain("mtty");
        assertThat(bus.devices()).extracting(MdevDevice::uuid).doesNotContain(uuid);
        assertAllCallsEnodev(file);

        // Through the bundle's own context: osgi-test's injected one uninstalls what it installed.
        Bundle again = org.osgi.framework.FrameworkUtil.getBundle(HotPlugIT.class).getBundleContext()
                .installBundle(location);
        again.start();
        Fixture.awaitParent(bus, "mtty");
        bus.create("mtty", "mtty-1", uuid);
        try (VfioDeviceFile reopened = Fixture.vfioDevice(context, uuid).open(new FileTable())) {
            assertThat(reopened.getInfo().numRegions()).isEqualTo(Vfio.VFIO_PCI_NUM_REGIONS);
        }
    }

    @Test
    void restartingTheBusRemovesEveryDeviceAndComesBackEmpty() {
        Bundle core = Fixture.bundle(context, "mdev.core");
        UUID uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-1", uuid);
        VfioDeviceFile file = Fixture.vfioDevice(context, uuid).open(new FileTable());
        Fixture.stop(core);
        assertThat(Fixture.hasMdevService(context, uuid)).isFalse();
        assertThat(Fixture.vfioDeviceOrNull(context, uuid)).isNull();
        assertAllCallsEnodev(file);
        Fixture.start(core);
    }
}
