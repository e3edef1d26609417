package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevType;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioIrqSet;

/** (a) mtty devices created on the bus, opened through vfio.mdev, used as UARTs. */
class UartLoopbackIT extends BusTest {

    @Test
    void typesAndAvailableInstancesFollowCreates() {
        assertThat(bus.types("mtty")).extracting(MdevType::id, MdevType::availableInstances, MdevType::deviceApi)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("mtty-1", 24L, "vfio-pci"),
                        org.assertj.core.groups.Tuple.tuple("mtty-2", 12L, "vfio-pci"));
        bus.create("mtty", "mtty-2", UUID.randomUUID());
        bus.create("mtty", "mtty-1", UUID.randomUUID());
        assertThat(bus.types("mtty")).extracting(MdevType::availableInstances).containsExactly(21L, 10L);
    }

    @Test
    void deviceServiceCarriesItsProperties() {
        UUID uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-1", uuid);
        var refs = Fixture.refs(context, MdevDevice.class, uuid);
        assertThat(refs).hasSize(1);
        var ref = refs.iterator().next();
        assertThat(ref.getProperty("mdev.parent")).isEqualTo("mtty");
        assertThat(ref.getProperty("mdev.type")).isEqualTo("mtty-1");
        assertThat(ref.getProperty("mdev.class.id")).isEqualTo(MdevClassId.VFIO);
    }

    @Test
    void bytesWrittenToThrComeBackFromRbrOnEachPort() {
        UUID uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-2", uuid);
        try (VfioDeviceFile file = Fixture.vfioDevice(context, uuid).open(new FileTable())) {
            for (int port = 0; port < 2; port++) {
                byte[] text = ("port " + port).getBytes(StandardCharsets.US_ASCII);
                for (byte b : text) {
                    file.writeRegion(port, 0, b);
                }
                assertThat(file.readRegion(port, 5, 1)[0] & 0x01).as("LSR.DR").isEqualTo(1);
                byte[] back = new byte[text.length];
                for (int i = 0; i < back.length; i++) {
                    back[i] = file.readRegion(port, 0, 1)[0];
                }
                assertThat(new String(back, StandardCharsets.US_ASCII)).isEqualTo("port " + port);
                assertThat(file.readRegion(port, 5, 1)[0] & 0x60).as("LSR.THRE|TEMT").isEqualTo(0x60);
            }
        }
    }

    @Test
    void receivedDataRaisesIntxThroughTheEventFd() throws Exception {
        UUID uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-1", uuid);
        try (VfioDeviceFile file = Fixture.vfioDevice(context, uuid).open(new FileTable())) {
            EventFd intx = new EventFd();
            file.setIrqs(VfioIrqSet.trigger(Vfio.VFIO_PCI_INTX_IRQ_INDEX, 0, intx));
            file.writeRegion(0, 1, (byte) 0x01);          // IER: RDI
            file.writeRegion(0, 0, (byte) 'x');
            assertThat(intx.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(intx.read()).isEqualTo(1);
            assertThat(file.readRegion(0, 2, 1)[0] & 0x0f).as("IIR: received data").isEqualTo(0x04);
            // Automasked: a second byte waits for the unmask.
            file.writeRegion(0, 2, (byte) 0x07);          // FCR: enable + clear, trigger 1
            file.writeRegion(0, 0, (byte) 'y');
            assertThat(intx.count()).isZero();
            file.setIrqs(VfioIrqSet.none(Vfio.VFIO_IRQ_SET_ACTION_UNMASK, Vfio.VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
            assertThat(intx.read()).isEqualTo(1);
        }
    }

    @Test
    void removeAnswersEbusyWhileOpenAndSucceedsAfterClose() {
        UUID uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-1", uuid);
        VfioDeviceFile file = Fixture.vfioDevice(context, uuid).open(new FileTable());
        assertThatThrownBy(() -> bus.remove(uuid)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        assertThat(Fixture.hasMdevService(context, uuid)).isTrue();
        file.close();
        bus.remove(uuid);
        assertThat(Fixture.hasMdevService(context, uuid)).isFalse();
        assertThat(Fixture.vfioDeviceOrNull(context, uuid)).isNull();
        assertThatThrownBy(() -> file.readRegion(0, 0, 1)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
    }
}
