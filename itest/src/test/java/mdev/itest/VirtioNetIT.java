package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import samples.mvnet.NetInterface;
import virtio.core.Virtio;
import virtio.core.VirtioBus;

/** Issue 5 §2: an mvnet mdev on the virtio bus, driven by the guest virtio-net driver. */
class VirtioNetIT extends BusTest {
    @InjectService
    VirtioBus virtioBus;

    private NetInterface nicOrNull(UUID uuid) {
        try {
            for (ServiceReference<NetInterface> ref : context.getServiceReferences(NetInterface.class,
                    "(" + Virtio.DEVICE_NAME + "=mdev:" + uuid + ")")) {
                return context.getService(ref);
            }
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
        return null;
    }

    private NetInterface nic(UUID uuid) {
        Fixture.await("network interface of " + uuid, () -> nicOrNull(uuid) != null);
        return nicOrNull(uuid);
    }

    private static byte[] frame(String payload) {
        byte[] body = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] frame = new byte[14 + body.length];
        for (int i = 0; i < 6; i++) {
            frame[i] = (byte) 0xff;
        }
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xb5;
        System.arraycopy(body, 0, frame, 14, body.length);
        return frame;
    }

    @Test
    void aFrameSentOnTxComesBackOnRx() throws Exception {
        UUID uuid = UUID.randomUUID();
        bus.create("mvnet", "mvnet-1", uuid);
        NetInterface nic = nic(uuid);
        assertThat(virtioBus.devices()).contains("mdev:" + uuid);
        assertThat(virtioBus.driverOf("mdev:" + uuid)).isPresent();
        assertThat(nic.mac()[0]).isEqualTo((byte) 0x52);
        for (int i = 0; i < 600; i++) {
            byte[] sent = frame("frame " + i);
            nic.send(sent);
            assertThat(nic.receive(5, TimeUnit.SECONDS)).isEqualTo(sent);
        }
    }

    @Test
    void aDeviceAGuestDriverUsesIsBusyUntilTheDriverLetsGo() throws Exception {
        UUID uuid = UUID.randomUUID();
        bus.create("mvnet", "mvnet-1", uuid);
        NetInterface nic = nic(uuid);
        assertThat(bus.device(uuid).orElseThrow().openCount()).as("held by the guest driver").isEqualTo(1);
        assertThatThrownBy(() -> bus.remove(uuid)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        nic.send(frame("still here"));
        assertThat(nic.receive(5, TimeUnit.SECONDS)).isEqualTo(frame("still here"));
        // the driver lets go (the bus's unbind), the device is free; bind gives it a driver again
        virtioBus.unbind("mdev:" + uuid);
        assertThat(virtioBus.driverOf("mdev:" + uuid)).isEmpty();
        assertThat(bus.device(uuid).orElseThrow().openCount()).isZero();
        virtioBus.bind("mdev:" + uuid);
        assertThat(virtioBus.driverOf("mdev:" + uuid)).isPresent();
        assertThat(bus.device(uuid).orElseThrow().openCount()).isEqualTo(1);
        virtioBus.unbind("mdev:" + uuid);
        bus.remove(uuid);
        assertThat(virtioBus.devices()).doesNotContain("mdev:" + uuid);
    }

    @Test
    void stoppingVirtioMdevRemovesTheInterfaceAndStartingBringsItBack() throws Exception {
        Bundle virtioMdev = Fixture.bundle(context, "virtio.mdev");
        UUID uuid = UUID.randomUUID();
        bus.create("mvnet", "mvnet-1", uuid);
        NetInterface before = nic(uuid);
        Fixture.stop(virtioMdev);
        try {
            assertThat(nicOrNull(uuid)).isNull();
            assertThat(virtioBus.devices()).doesNotContain("mdev:" + uuid);
            assertThatThrownBy(() -> before.send(frame("late"))).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
        } finally {
            Fixture.start(virtioMdev);
        }
        NetInterface after = nic(uuid);
        after.send(frame("again"));
        assertThat(after.receive(5, TimeUnit.SECONDS)).isEqualTo(frame("again"));
    }

    @Test
    void stoppingTheVendorRemovesTheDevicesFromTheVirtioBus() {
        Bundle mvnet = Fixture.bundle(context, "samples.mvnet");
        UUID uuid = UUID.randomUUID();
        bus.create("mvnet", "mvnet-1", uuid);
        nic(uuid);
        Fixture.stop(mvnet);
        try {
            assertThat(virtioBus.devices()).doesNotContain("mdev:" + uuid);
            assertThat(bus.devices()).isEmpty();
        } finally {
            Fixture.start(mvnet);
        }
        Fixture.awaitParent(bus, "mvnet");
    }
}
