package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;
import virtio.core.Virtio;
import virtio.core.VirtioBus;
import virtio.pci.VirtioPciFront;

/**
 * The virtio-pci front in Felix: an mvnet mdev given to a "VM" as a PCI function, driven the
 * way Linux's virtio_pci and virtio_net drive it, through a type1 container; and the front kept
 * across the device's bundle stopping and starting.
 */
class VirtioPciIT extends BusTest {
    static final long RAM = 0x2000_0000L;

    @InjectService
    VfioService vfio;

    @InjectService
    VirtioBus virtioBus;

    @InjectService
    VirtioPciFront front;

    @InjectService
    org.osgi.service.cm.ConfigurationAdmin configAdmin;

    @AfterEach
    void giveEverythingBack() {
        for (String device : front.assignments().keySet()) {
            front.unassign(device);
        }
    }

    /** A VM with 1 MiB of RAM at IOVA 0, the function of {@code uuid} open in its container. */
    record Vm(VmAddressSpace memory, VfioContainer container, VfioGroup group, VfioDeviceFile file, VirtioPciDriver driver) {
        void close() {
            file.close();
            group.close();
            container.close();
        }
    }

    Vm startVm(UUID uuid) {
        VmAddressSpace memory = new VmAddressSpace("vm");
        memory.allocate(RAM, 0x100000);
        FileTable files = new FileTable();
        VfioContainer container = vfio.openContainer(memory, files);
        VfioGroup group = Fixture.groupInContainer(context, vfio, uuid, container, files);
        container.mapDma(RAM, 0, 0x100000, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        VfioDeviceFile file = group.getDevice(uuid.toString());
        return new Vm(memory, container, group, file, new VirtioPciDriver(file, memory, RAM, 0));
    }

    static byte[] frame(String payload) {
        byte[] body = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] frame = new byte[14 + body.length];
        java.util.Arrays.fill(frame, 0, 6, (byte) 0xff);
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xb5;
        System.arraycopy(body, 0, frame, 14, body.length);
        return frame;
    }

    @Test
    void anMvnetFunctionLoopsAFrameForADriverOfTheVm() throws Exception {
        UUID uuid = UUID.randomUUID();
        String name = "mdev:" + uuid;
        bus.create("mvnet", "mvnet-1", uuid);
        Fixture.await("the guest driver on the bus", () -> virtioBus.driverOf(name).isPresent());
        front.assign(name, null);
        assertThat(virtioBus.driverOf(name)).as("the bus's driver let it go").isEmpty();
        assertThat(front.present(name)).isTrue();

        Vm vm = startVm(uuid);
        VirtioPciDriver d = vm.driver();
        assertThat(d.config16(0)).isEqualTo(0x1af4);
        assertThat(d.config16(2)).isEqualTo(0x1041);
        assertThat(d.config8(0x08)).as("revision of a modern-only device").isEqualTo(1);
        d.probe();
        assertThat(d.common).isZero();
        assertThat(d.msixCap).isPositive();
        assertThat(d.config16(d.msixCap + 2) & 0x7ff).as("vectors - 1: config + 2 queues").isEqualTo(2);
        assertThat(d.read(d.common + 0x12, 2)).as("num_queues").isEqualTo(2);
        long features = d.deviceFeatures();
        assertThat(features & Virtio.bit(Virtio.F_VERSION_1)).isNotZero();
        assertThat(d.negotiate(Virtio.bit(Virtio.F_VERSION_1) | Virtio.bit(5)) & 8).as("FEATURES_OK kept").isEqualTo(8);
        d.enableMsix(3);
        d.setupQueue(0, 16);
        d.setupQueue(1, 16);
        d.write(d.common + 0x14, 1, 1 | 2 | 8 | 4);
        assertThat(d.status()).isEqualTo(15);
        assertThat(bus.device(uuid).orElseThrow().openCount()).as("the VM's driver holds the mdev").isEqualTo(1);
        assertThatThrownBy(() -> bus.remove(uuid)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        byte[] mac = new byte[6];
        ByteBuffer macBuffer = ByteBuffer.wrap(mac);
        for (int i = 0; i < 6; i++) {
            macBuffer.put((byte) d.read(d.deviceCfg + i, 1));
        }
        assertThat(mac[0]).isEqualTo((byte) 0x52);

        // an RX buffer, then a frame on TX: it comes back on RX, and both queues interrupt
        long rx = d.alloc(12 + 1514, 16);
        d.add(0, new long[] { rx }, new int[] { 12 + 1514 }, new boolean[] { true });
        byte[] sent = frame("through virtio-pci");
        long tx = d.alloc(12 + sent.length, 16);
        vm.memory().write(d.vaddr(tx) + 12, ByteBuffer.wrap(sent));
        d.add(1, new long[] { tx }, new int[] { 12 + sent.length }, new boolean[] { false });
        assertThat(d.vectors[2].await(5, TimeUnit.SECONDS)).as("TX used interrupt").isTrue();
        assertThat(d.vectors[1].await(5, TimeUnit.SECONDS)).as("RX used interrupt").isTrue();
        assertThat(d.usedIdx(0)).isEqualTo(1);
        assertThat(d.usedLen(0, 0)).isEqualTo(12 + sent.length);
        ByteBuffer got = ByteBuffer.allocate(sent.length);
        vm.memory().read(d.vaddr(rx) + 12, got);
        assertThat(got.array()).isEqualTo(sent);

        vm.close();
        assertThat(bus.device(uuid).orElseThrow().openCount()).as("closing resets: the driver let go").isZero();
    }

    @Test
    void aBrokenRingMakesTheDeviceNeedAReset() {
        UUID uuid = UUID.randomUUID();
        bus.create("mvnet", "mvnet-1", uuid);
        front.assign("mdev:" + uuid, null);
        Vm vm = startVm(uuid);
        VirtioPciDriver d = vm.driver();
        d.probe();
        d.negotiate(Virtio.bit(Virtio.F_VERSION_1));
        d.enableMsix(3);
        d.setupQueue(0, 16);
        d.setupQueue(1, 16);
        d.write(d.common + 0x14, 1, 15);
        // a TX chain whose head is past the table (the checks hold for a VM's rings too)
        long avail = d.vaddr(d.queues[1][2]);
        vm.memory().putShort(avail + 4, 99);
        vm.memory().putShort(avail + 2, 1);
        d.selectQueue(1);
        d.write(d.notify + d.notifyMultiplier, 2, 1);
        assertThat(d.status() & Virtio.STATUS_DEVICE_NEEDS_RESET).isNotZero();
        assertThat(d.vectors[0].count()).as("config interrupt").isPositive();
        vm.close();
    }

    @Test
    void theFunctionGoesWithItsDeviceAndComesBackWithIt() throws Exception {
        UUID uuid = UUID.randomUUID();
        String name = "mdev:" + uuid;
        bus.create("mvnet", "mvnet-1", uuid);
        front.assign(name, null);
        Vm vm = startVm(uuid);
        vm.driver().probe();
        vm.driver().negotiate(Virtio.bit(Virtio.F_VERSION_1));
        Bundle mvnet = Fixture.bundle(context, "samples.mvnet");
        mvnet.stop();
        try {
            assertThat(front.present(name)).isFalse();
            assertThatThrownBy(() -> vm.driver().status()).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
            assertThat(front.assignments()).containsKey(name);
        } finally {
            mvnet.start();
        }
        vm.close();
        Fixture.awaitParent(bus, "mvnet");
        bus.create("mvnet", "mvnet-1", uuid);
        Fixture.await("the function back", () -> front.present(name));
        assertThat(virtioBus.driverOf(name)).as("still reserved for the VM").isEmpty();
        Vm again = startVm(uuid);
        again.driver().probe();
        assertThat(again.driver().negotiate(Virtio.bit(Virtio.F_VERSION_1)) & 8).isEqualTo(8);
        assertThatThrownBy(() -> front.unassign(name)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        again.close();
        front.unassign(name);
        Fixture.await("the bus's driver back", () -> virtioBus.driverOf(name).isPresent());
        assertThat(Fixture.vfioDeviceOrNull(context, uuid)).isNull();
    }

    @Test
    void assignmentsAreCheckedBeforeAnythingChanges() {
        UUID uuid = UUID.randomUUID();
        bus.create("mvnet", "mvnet-1", uuid);
        front.assign("mdev:" + uuid, null);
        assertThatThrownBy(() -> front.assign("mdev:" + uuid, null)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
        assertThatThrownBy(() -> front.assign("uvirtio-none", uuid)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EEXIST));
        assertThatThrownBy(() -> front.assign("uvirtio-none", null)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> front.unassign("nothing")).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThat(front.assignments()).containsOnlyKeys("mdev:" + uuid);
    }

    @Test
    void theFrontIsADeviceAttributeOfEveryVirtioMdev() {
        UUID uuid = UUID.randomUUID();
        String name = "mdev:" + uuid;
        bus.create("mvnet", "mvnet-1", uuid);
        assertThat(bus.attributes(uuid)).contains("virtio_front");
        assertThat(bus.readAttribute(uuid, "virtio_front")).isEqualTo("bus\n");
        bus.writeAttribute(uuid, "virtio_front", "pci\n");
        assertThat(front.assignments()).containsEntry(name, uuid);
        assertThat(bus.readAttribute(uuid, "virtio_front")).isEqualTo("pci\n");
        bus.writeAttribute(uuid, "virtio_front", "pci\n");   // again: nothing changes
        assertThat(Fixture.vfioDevice(context, uuid)).isNotNull();
        assertThatThrownBy(() -> bus.writeAttribute(uuid, "virtio_front", "vhost")).isInstanceOfSatisfying(
                ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        bus.writeAttribute(uuid, "virtio_front", "bus");
        assertThat(front.assignments()).isEmpty();
        UUID mtty = UUID.randomUUID();
        bus.create("mtty", "mtty-1", mtty);
        assertThat(bus.attributes(mtty)).as("only VIRTIO mdevs have it").doesNotContain("virtio_front");
    }

    @Test
    void aConfigurationGivesADeviceToVmsWhileItExists() throws Exception {
        UUID uuid = UUID.randomUUID();
        String name = "mdev:" + uuid;
        org.osgi.service.cm.Configuration config = configAdmin.getFactoryConfiguration(VirtioPciFront.FACTORY_PID,
                "itest", "?");
        config.update(new java.util.Hashtable<>(java.util.Map.of("device", name)));
        try {
            Fixture.await("the assignment", () -> front.assignments().containsKey(name));
            assertThat(front.present(name)).as("before the device exists").isFalse();
            bus.create("mvnet", "mvnet-1", uuid);
            Fixture.await("the function", () -> front.present(name));
            assertThat(virtioBus.driverOf(name)).isEmpty();
        } finally {
            config.delete();
        }
        Fixture.await("the device back on the bus", () -> !front.assignments().containsKey(name)
                && virtioBus.driverOf(name).isPresent());
    }
}
