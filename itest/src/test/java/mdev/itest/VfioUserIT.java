package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

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
import vfio.core.VfioDeviceInfo;
import vfio.user.VfioUser;
import vfio.user.VfioUserChannel;
import vfio.user.VfioUserClient;
import vfio.user.VfioUserMessage;
import vfio.user.VfioUserServer;

/**
 * Issue 10: mdevs served over vfio-user and driven by the Java client through a real UNIX
 * socket: the mtty UART (config space, BAR I/O, loopback, INTx through a passed descriptor,
 * reset), DMA through a client file mapped by the server, clients that misbehave or go away,
 * and a vendor stopped while a client is connected.
 */
class VfioUserIT extends BusTest {
    @InjectService
    VfioUserServer server;

    Path dir;
    Path socket;
    UUID uuid;

    @BeforeEach
    void serveAnMtty() throws Exception {
        dir = Files.createTempDirectory("vfio-user-it");
        socket = dir.resolve("mtty.sock");
        uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-2", uuid);
        Fixture.vfioDevice(context, uuid);
        server.serve(uuid, socket);
    }

    @AfterEach
    void stopServing() {
        server.served().keySet().forEach(server::stop);
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void theUartThroughTheSocket() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");
        try (VfioUserClient client = VfioUserClient.connect(socket);
                VfioUserClient.Notifier intx = new VfioUserClient.Notifier()) {
            assertThat(client.serverMinor()).isEqualTo(VfioUser.VERSION_MINOR);
            assertThat(client.serverMaxDataXfer()).isEqualTo(VfioUser.DEFAULT_MAX_DATA_XFER_SIZE);
            assertThat(client.serverCapabilities()).contains("\"max_data_xfer_size\":1048576")
                    .contains("\"max_msg_fds\":16").contains("\"pgsizes\":4096");
            assertThat(client.deviceInfo()).isEqualTo(new VfioDeviceInfo(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, 9, 5));
            ByteBuffer config = client.regionInfo(VFIO_PCI_CONFIG_REGION_INDEX, 32);
            assertThat(config.getInt(8)).isEqualTo(VFIO_PCI_CONFIG_REGION_INDEX);
            assertThat(config.getInt(4) & VFIO_REGION_INFO_FLAG_READ).isNotZero();
            assertThat(client.regionRead(VFIO_PCI_CONFIG_REGION_INDEX, 0, 4)).containsExactly(0x48, 0x43, 0x53, 0x32);
            assertThat(client.irqInfo(VFIO_PCI_INTX_IRQ_INDEX).count()).isEqualTo(1);

            client.setIrqEventFds(VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, intx.fd());
            client.regionWrite(VFIO_PCI_BAR0_REGION_INDEX, 1, (byte) 0x01);   // IER: received data
            for (byte b : "hello".getBytes()) {
                client.regionWrite(VFIO_PCI_BAR0_REGION_INDEX, 0, b);
            }
            assertThat(intx.await(10, TimeUnit.SECONDS)).as("INTx through the passed descriptor").isEqualTo(1);
            StringBuilder echoed = new StringBuilder();
            for (int i = 0; i < 5; i++) {
                echoed.append((char) client.regionRead(VFIO_PCI_BAR0_REGION_INDEX, 0, 1)[0]);
            }
            assertThat(echoed).hasToString("hello");
            client.reset();
            assertThat(client.regionRead(VFIO_PCI_BAR0_REGION_INDEX, 1, 1)).as("IER after reset").containsExactly(0);
            assertErrno(Errno.EINVAL, () -> client.regionRead(99, 0, 1));
            assertErrno(Errno.ENOTTY, () -> client.call(VfioUser.VFIO_USER_DEVICE_FEATURE,
                    ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 8).putInt(4, (1 << 18) | 1)));
            assertErrno(Errno.EINVAL, () -> client.call(77, ByteBuffer.allocate(0)));
            assertThat(client.regionRead(VFIO_PCI_CONFIG_REGION_INDEX, 0, 2)).as("still served").containsExactly(0x48, 0x43);
        }
    }

    @Test
    void oneClientAtATimeAndEverythingReleasedWhenItGoes() throws Exception {
        VfioUserClient first = VfioUserClient.connect(socket);
        Fixture.await("connected", () -> server.connected(socket));
        assertThat(bus.device(uuid).orElseThrow().openCount()).isEqualTo(1);
        assertThatThrownBy(() -> VfioUserClient.connect(socket)).as("a second client is turned away")
                .isInstanceOf(Exception.class);
        first.close();
        Fixture.await("released", () -> !server.connected(socket) && bus.device(uuid).orElseThrow().openCount() == 0);
        try (VfioUserClient second = VfioUserClient.connect(socket)) {
            assertThat(second.deviceInfo().numRegions()).isEqualTo(9);
        }
    }

    @Test
    void aClientReconnectingAtOnceIsAdmitted() throws Exception {
        // as a VMM restarting: the next connect comes before the server has read the last one's end
        for (int i = 0; i < 20; i++) {
            try (VfioUserClient client = VfioUserClient.connect(socket)) {
                assertThat(client.deviceInfo().numRegions()).as("connection %d", i).isEqualTo(9);
            }
        }
        Fixture.await("released", () -> !server.connected(socket) && bus.device(uuid).orElseThrow().openCount() == 0);
    }

    @Test
    void malformedAndOutOfOrderMessagesGetErrorsOrAClosedConnection() throws Exception {
        // a command before VERSION: an error reply, then the connection is closed
        try (VfioUserClient raw = VfioUserClient.connectRaw(socket)) {
            assertErrno(Errno.EINVAL, raw::deviceInfo);
            assertThat(raw.channel().receive(VfioUser.MAX_MESSAGE_SIZE)).isNull();
        }
        Fixture.await("released", () -> !server.connected(socket));
        // a header whose size is below the header's own: closed
        try (VfioUserChannel channel = VfioUserChannel.connect(socket)) {
            ByteBuffer bad = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 1)
                    .putShort(2, (short) VfioUser.VFIO_USER_VERSION).putInt(4, 8);
            channel.writeRaw(bad.array());
            assertThat(channel.receive(VfioUser.MAX_MESSAGE_SIZE)).isNull();
        }
        Fixture.await("released", () -> !server.connected(socket));
        // an oversized message: closed before its payload is read
        try (VfioUserChannel channel = VfioUserChannel.connect(socket)) {
            ByteBuffer huge = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 1)
                    .putShort(2, (short) VfioUser.VFIO_USER_VERSION).putInt(4, Integer.MAX_VALUE);
            channel.writeRaw(huge.array());
            assertThat(channel.receive(VfioUser.MAX_MESSAGE_SIZE)).isNull();
        }
        Fixture.await("released", () -> !server.connected(socket));
        // short payloads after the handshake: EINVAL, the connection stays
        try (VfioUserClient client = VfioUserClient.connect(socket)) {
            assertErrno(Errno.EINVAL, () -> client.call(VfioUser.VFIO_USER_REGION_READ, ByteBuffer.allocate(3)));
            assertErrno(Errno.EINVAL, () -> client.call(VfioUser.VFIO_USER_DEVICE_GET_INFO, ByteBuffer.allocate(4)));
            assertErrno(Errno.EINVAL, () -> client.call(VfioUser.VFIO_USER_VERSION, ByteBuffer.allocate(4)));
            assertErrno(Errno.EINVAL, () -> client.regionRead(VFIO_PCI_BAR0_REGION_INDEX, 0, VfioUser.DEFAULT_MAX_DATA_XFER_SIZE + 1));
            assertThat(client.deviceInfo().numIrqs()).isEqualTo(5);
        }
    }

    @Test
    void aClientThatDisconnectsMidMessageLeavesNothingBehind() throws Exception {
        try (VfioUserClient client = VfioUserClient.connect(socket)) {
            ByteBuffer partial = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) 9)
                    .putShort(2, (short) VfioUser.VFIO_USER_REGION_WRITE).putInt(4, 16 + 16 + 64);
            client.channel().writeRaw(partial.array());
        }
        Fixture.await("released", () -> !server.connected(socket) && bus.device(uuid).orElseThrow().openCount() == 0);
    }

    @Test
    void stoppingTheVendorGivesErrorsAndTheServerSurvives() throws Exception {
        Bundle mtty = Fixture.bundle(context, "samples.mtty");
        try (VfioUserClient client = VfioUserClient.connect(socket)) {
            assertThat(client.deviceInfo().numRegions()).isEqualTo(9);
            Fixture.stop(mtty);
            assertErrno(Errno.ENODEV, () -> client.regionRead(VFIO_PCI_CONFIG_REGION_INDEX, 0, 4));
            assertErrno(Errno.ENODEV, client::deviceInfo);
        } finally {
            Fixture.start(mtty);
        }
        Fixture.await("released", () -> !server.connected(socket));
        assertThat(server.served()).containsEntry(socket, uuid);
    }

    DmaTestParent copiers;
    UUID copier;

    /** Registers the DMA test parent and serves one of its devices (it copies client memory) on {@code socket}. */
    ServiceRegistration<MdevParent> serveACopier(Path socket) {
        copiers = new DmaTestParent();
        ServiceRegistration<MdevParent> parent = context.registerService(MdevParent.class, copiers,
                new java.util.Hashtable<>(Map.of(MdevConstants.PARENT, "dmatest")));
        try {
            Fixture.awaitParent(bus, "dmatest");
            copier = UUID.randomUUID();
            bus.create("dmatest", bus.types("dmatest").get(0).id(), copier);
            Fixture.vfioDevice(context, copier);
            server.serve(copier, socket);
            return parent;
        } catch (RuntimeException e) {
            parent.unregister();
            throw e;
        }
    }

    @Test
    void stoppingVfioUserDropsItsClientsAndRemovesItsSockets() throws Exception {
        Bundle vfioUser = Fixture.bundle(context, "vfio.user");
        try (VfioUserClient client = VfioUserClient.connect(socket)) {
            assertThat(client.deviceInfo().numRegions()).isEqualTo(9);
            Fixture.stop(vfioUser);
            assertThat(Files.exists(socket)).as("socket file removed").isFalse();
            assertErrno(Errno.ENODEV, client::deviceInfo);
            Fixture.await("the client's open released", () -> bus.device(uuid).orElseThrow().openCount() == 0);
        } finally {
            Fixture.start(vfioUser);
        }
        server = Fixture.service(context, VfioUserServer.class);
        assertThat(server.served()).as("sockets served by hand are not remembered").isEmpty();
        server.serve(uuid, socket);
        try (VfioUserClient client = VfioUserClient.connect(socket)) {
            assertThat(client.deviceInfo().numRegions()).isEqualTo(9);
        }
    }

    @Test
    void dmaThroughAMappedClientFile() throws Exception {
        Path dmaSocket = dir.resolve("dma.sock");
        ServiceRegistration<MdevParent> dmaParent = serveACopier(dmaSocket);
        try {
            Path memoryFile = dir.resolve("guest-ram");
            try (RandomAccessFile ram = new RandomAccessFile(memoryFile.toFile(), "rw");
                    VfioUserClient client = VfioUserClient.connect(dmaSocket)) {
                ram.setLength(1 << 20);
                MappedByteBuffer guest = ram.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, 1 << 20);
                guest.put(0x2000, "guest memory".getBytes());
                client.dmaMap(0x4000_0000L, 1 << 20, VfioUser.DMA_FLAG_READ | VfioUser.DMA_FLAG_WRITE, ram.getFD(), 0);
                assertErrno(Errno.EEXIST, () -> client.dmaMap(0x4000_0000L, 4096, VfioUser.DMA_FLAG_READ, ram.getFD(), 0));
                ByteBuffer copy = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, 0x4000_2000L).putLong(8, 12);
                client.regionWrite(0, 0, copy.array());   // the device reads client memory by IOVA
                assertThat(new String(client.regionRead(0, 0x100, 12))).isEqualTo("guest memory");
                assertErrno(Errno.EINVAL, () -> client.dmaUnmap(0x4000_0000L, 4096));
                client.dmaUnmap(0x4000_0000L, 1 << 20);
                assertErrno(Errno.EFAULT, () -> client.regionWrite(0, 0, copy.array()));
                assertThat(client.dmaCommands()).as("mapped memory needs no messages").isZero();
            }
            // without a descriptor: the server reads client memory with DMA_READ messages, in
            // chunks no larger than the client's max_data_xfer_size (8 bytes here)
            Fixture.await("the first client released", () -> !server.connected(dmaSocket));
            try (VfioUserClient client = VfioUserClient.connectRaw(dmaSocket)) {
                client.negotiate(1, 8);
                ByteBuffer memory = ByteBuffer.allocate(1 << 16);
                memory.put(0x1000, "via messages".getBytes());
                client.dmaMap(0x5000_0000L, memory, VfioUser.DMA_FLAG_READ | VfioUser.DMA_FLAG_WRITE);
                ByteBuffer copy = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, 0x5000_1000L).putLong(8, 12);
                client.regionWrite(0, 0, copy.array());
                assertThat(new String(client.regionRead(0, 0x100, 12))).isEqualTo("via messages");
                assertThat(client.dmaCommands()).as("12 bytes in 8-byte chunks").isEqualTo(2);
                // and DMA_WRITE: the device writes what it copied back, elsewhere
                ByteBuffer back = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, 0x5000_3000L).putLong(8, 12);
                client.regionWrite(0, 0x20, back.array());
                byte[] written = new byte[12];
                memory.get(0x3000, written);
                assertThat(new String(written)).isEqualTo("via messages");
                assertThat(client.dmaCommands()).as("two DMA_WRITEs more").isEqualTo(4);
                copy.putLong(0, 0x5000_0000L + (1 << 16) - 4);
                assertErrno(Errno.EFAULT, () -> client.regionWrite(0, 0, copy.array()));
                client.dmaUnmap(0x5000_0000L, 1 << 16);
            }
        } finally {
            if (server.served().containsKey(dmaSocket)) {
                server.stop(dmaSocket);
            }
            dmaParent.unregister();
        }
    }

    @Test
    void servedDeclarativelyWhileTheDeviceExists() throws Exception {
        org.osgi.service.cm.ConfigurationAdmin cm = context.getService(
                context.getServiceReference(org.osgi.service.cm.ConfigurationAdmin.class));
        UUID later = UUID.fromString("6a1c0e55-2b7d-4c61-9d1e-00000000c0de");
        Path configured = dir.resolve("configured.sock");
        org.osgi.service.cm.Configuration config = cm.getFactoryConfiguration("vfio.user.socket", "itest", "?");
        config.update(new java.util.Hashtable<>(Map.of("uuid", later.toString(), "path", configured.toString())));
        try {
            Thread.sleep(200);
            assertThat(Files.exists(configured)).as("no device yet: no socket").isFalse();
            bus.create("mtty", "mtty-1", later);
            Fixture.await("the configured socket", () -> Files.exists(configured));
            try (VfioUserClient client = VfioUserClient.connect(configured)) {
                assertThat(client.regionRead(VFIO_PCI_CONFIG_REGION_INDEX, 0, 2)).containsExactly(0x48, 0x43);
            }
            Fixture.await("the client released", () -> bus.device(later).orElseThrow().openCount() == 0);
            bus.remove(later);
            Fixture.await("the socket gone with the device", () -> !Files.exists(configured));
            bus.create("mtty", "mtty-1", later);
            Fixture.await("the socket back", () -> Files.exists(configured));
        } finally {
            config.delete();
        }
        Fixture.await("the socket gone with the configuration", () -> !Files.exists(configured));
    }

    @Test
    void anMmapableRegionComesWithTheFileBehindIt() throws Exception {
        org.osgi.service.cm.ConfigurationAdmin cm = context.getService(
                context.getServiceReference(org.osgi.service.cm.ConfigurationAdmin.class));
        String parent = "0000:00:05.0";
        org.osgi.service.cm.Configuration gpu = cm.getFactoryConfiguration("vendor.gvt.gpu", "vfio-user", "?");
        gpu.update(new java.util.Hashtable<>(Map.of("parent", parent, "generation", "SKL", "aperture.mb", 512,
                "hidden.mb", 3584)));
        Path vgpuSocket = dir.resolve("vgpu.sock");
        try {
            Fixture.awaitParent(bus, parent);
            UUID vgpu = UUID.randomUUID();
            bus.create(parent, "i915-GVTg_V5_8", vgpu);
            Fixture.vfioDevice(context, vgpu);
            server.serve(vgpu, vgpuSocket);
            try (VfioUserClient client = VfioUserClient.connect(vgpuSocket)) {
                ByteBuffer info = client.regionInfo(VFIO_PCI_BAR2_REGION_INDEX, 4096);
                assertThat(info.getInt(4) & (VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS))
                        .isEqualTo(VFIO_REGION_INFO_FLAG_MMAP | VFIO_REGION_INFO_FLAG_CAPS);
                int cap = info.getInt(12);
                assertThat(info.getShort(cap)).as("sparse mmap cap").isEqualTo((short) VFIO_REGION_INFO_CAP_SPARSE_MMAP);
                assertThat(info.getInt(cap + 8)).as("one area: the vGPU's slice").isEqualTo(1);
                long area = info.getLong(cap + 16);
                // memory BARs answer only with the command register's memory bit set
                client.regionWrite(VFIO_PCI_CONFIG_REGION_INDEX, 4, (byte) 0x06, (byte) 0);
                java.nio.MappedByteBuffer bar2 = client.mapRegion(VFIO_PCI_BAR2_REGION_INDEX, area, 4096);
                bar2.put(0, "written by the client's mapping".getBytes());
                assertThat(new String(client.regionRead(VFIO_PCI_BAR2_REGION_INDEX, area, 31)))
                        .isEqualTo("written by the client's mapping");
                client.regionWrite(VFIO_PCI_BAR2_REGION_INDEX, area + 64, "through the socket".getBytes());
                byte[] seen = new byte[18];
                bar2.get(64, seen);
                assertThat(new String(seen)).isEqualTo("through the socket");
                assertErrno(Errno.EINVAL, () -> client.mapRegion(VFIO_PCI_BAR0_REGION_INDEX, 0, 4096));
            }
        } finally {
            if (server.served().containsKey(vgpuSocket)) {
                server.stop(vgpuSocket);
            }
            gpu.delete();
        }
    }

    /**
     * A device's DMA from a thread of its own, holding type1's lock while the client's reply is
     * on its way, and a DMA_UNMAP from the client at the same moment (which needs that lock):
     * the server's reader still reads the reply, so both finish.
     */
    @Test
    void aVendorThreadsDmaAndAnUnmapAtTheSameTime() throws Exception {
        Path dmaSocket = dir.resolve("async.sock");
        ServiceRegistration<MdevParent> dmaParent = serveACopier(dmaSocket);
        try (VfioUserClient client = VfioUserClient.connect(dmaSocket)) {
            ByteBuffer memory = ByteBuffer.allocate(1 << 16);
            memory.put(0x100, "from a vendor thread".getBytes());
            client.dmaMap(0x6000_0000L, memory, VfioUser.DMA_FLAG_READ | VfioUser.DMA_FLAG_WRITE);
            client.regionWrite(0, 0x30, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(0, 0x6000_0100L).putLong(8, 20).array());
            Thread.sleep(300);   // the device's thread has sent its DMA_READ and holds type1's lock
            long start = System.nanoTime();
            client.dmaUnmap(0x6000_0000L, 1 << 16);   // answers the DMA_READ while it waits
            assertThat(System.nanoTime() - start).as("no wait for a timeout").isLessThan(10_000_000_000L);
            byte[] copied = copiers.devices.get(copier).asyncCopy.get(10, TimeUnit.SECONDS);
            assertThat(new String(copied)).isEqualTo("from a vendor thread");
        } finally {
            server.stop(dmaSocket);
            dmaParent.unregister();
        }
    }

    /** The server's DMA_READ on the wire, answered by hand: its bytes, then the command it served. */
    @Test
    void dmaReadMessagesByteForByte() throws Exception {
        Path dmaSocket = dir.resolve("raw.sock");
        ServiceRegistration<MdevParent> dmaParent = serveACopier(dmaSocket);
        try {
            try (VfioUserChannel raw = VfioUserChannel.connect(dmaSocket)) {
                raw.writeRaw(hex("0100 0100 14000000 00000000 00000000 0000 0200"));
                assertThat(raw.receive(VfioUser.MAX_MESSAGE_SIZE).isError()).isFalse();
                // DMA_MAP 0x7000_0000 + 0x1000, R|W, no descriptor
                raw.writeRaw(hex("0200 0200 30000000 00000000 00000000"
                        + "20000000 03000000 0000000000000000 0000007000000000 0010000000000000"));
                assertThat(raw.receive(VfioUser.MAX_MESSAGE_SIZE).isError()).isFalse();
                // REGION_WRITE region 0 offset 0: copy 4 bytes from iova 0x7000_0010
                raw.writeRaw(hex("0300 0a00 30000000 00000000 00000000"
                        + "0000000000000000 00000000 10000000 1000007000000000 0400000000000000"));
                VfioUserMessage dmaRead = raw.receive(VfioUser.MAX_MESSAGE_SIZE);
                // a command (flags 0) DMA_READ (11) of 16 + 16 bytes: address 0x7000_0010, count 4
                assertThat(dmaRead.command()).isEqualTo(VfioUser.VFIO_USER_DMA_READ);
                assertThat(hexOf(dmaRead.header()).substring(4)).isEqualTo("0b00200000000000000000000000");
                assertThat(hexOf(dmaRead.payload())).isEqualTo("1000007000000000" + "0400000000000000");
                ByteBuffer answer = ByteBuffer.allocate(16 + 20).order(ByteOrder.LITTLE_ENDIAN);
                answer.putShort(0, (short) dmaRead.id()).putShort(2, (short) VfioUser.VFIO_USER_DMA_READ)
                        .putInt(4, 36).putInt(8, VfioUser.FLAGS_TYPE_REPLY)
                        .putLong(16, 0x7000_0010L).putLong(24, 4).put(32, "dma!".getBytes());
                raw.writeRaw(answer.array());
                VfioUserMessage done = raw.receive(VfioUser.MAX_MESSAGE_SIZE);
                assertThat(done.command()).isEqualTo(VfioUser.VFIO_USER_REGION_WRITE);
                assertThat(done.isError()).isFalse();
                // REGION_READ at 0x100: what the device copied
                raw.writeRaw(hex("0400 0900 20000000 00000000 00000000 0001000000000000 00000000 04000000"));
                VfioUserMessage read = raw.receive(VfioUser.MAX_MESSAGE_SIZE);
                assertThat(hexOf(read.payload())).endsWith(HexFormat.of().formatHex("dma!".getBytes()));
            }
        } finally {
            if (server.served().containsKey(dmaSocket)) {
                server.stop(dmaSocket);
            }
            dmaParent.unregister();
        }
    }

    static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }

    static String hexOf(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.get(b.position(), bytes);
        return HexFormat.of().formatHex(bytes);
    }

    @Test
    void sixteenDevicesServedAtOnce() throws Exception {
        java.util.List<Path> sockets = new java.util.ArrayList<>();
        java.util.List<VfioUserClient> clients = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 16; i++) {
                UUID u = UUID.randomUUID();
                bus.create("mtty", "mtty-1", u);
                Fixture.vfioDevice(context, u);
                Path s = dir.resolve("tty" + i + ".sock");
                server.serve(u, s);
                sockets.add(s);
                clients.add(VfioUserClient.connect(s));
            }
            java.util.List<Thread> threads = new java.util.ArrayList<>();
            java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
            for (VfioUserClient c : clients) {
                threads.add(new Thread(() -> {
                    try {
                        for (int k = 0; k < 50; k++) {
                            c.regionWrite(VFIO_PCI_BAR0_REGION_INDEX, 0, (byte) ('a' + k % 26));
                            assertThat(c.regionRead(VFIO_PCI_BAR0_REGION_INDEX, 0, 1)[0]).isEqualTo((byte) ('a' + k % 26));
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            threads.forEach(Thread::start);
            for (Thread t : threads) {
                t.join(60_000);
            }
            assertThat(failures).isEmpty();
        } finally {
            clients.forEach(VfioUserClient::close);
        }
    }
}
