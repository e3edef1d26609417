package vfio.user.internal;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioService;
import vfio.core.VfioRegions;
import vfio.core.VmAddressSpace;
import vfio.core.internal.BenchVfio;
import vfio.user.VfioUserChannel;
import vfio.user.VfioUserClient;
import virtio.core.DescriptorChain;
import virtio.core.Virtio;
import virtio.core.VirtioDeviceBase;
import virtio.core.Virtqueue;
import virtio.pci.internal.BenchFunctions;

/**
 * Virtqueue notifications per second: a driver makes one chain available and notifies, the
 * device pops it and returns it. The baseline kicks the device as a guest driver on the
 * in-framework virtio bus does (a method call, rings in local memory); then the same through the
 * virtio-pci front in-process (a write to the notify area of the VFIO device file, rings reached
 * through the type1 container), and over vfio-user (a REGION_WRITE from the Java client, guest
 * memory a shared file mapped by DMA_MAP with its descriptor). Read the ratios to the baseline.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class VirtioPciNotifyBench {
    static final int SIZE = 256;
    static final long DESC = 0x0, AVAIL = 0x1000, USED = 0x2000, BUFFER = 0x3000;
    static final int RAM = 0x10000;

    /** One queue; every chain kicked is returned at once. */
    static final class Echo extends VirtioDeviceBase {
        Echo() {
            super(Virtio.ID_CONSOLE, 0, Virtio.bit(Virtio.F_VERSION_1), 1, SIZE, new byte[8]);
        }

        @Override
        protected void onKick(int index, Virtqueue vq) {
            for (DescriptorChain c = vq.pop(); c != null; c = vq.pop()) {
                vq.push(c, 0);
            }
        }
    }

    /** A driver's side of queue 0 in {@code ram}: descriptor 0 made available again and again. */
    static final class Ring {
        final ByteBuffer ram;
        int avail;

        Ring(ByteBuffer ram) {
            this.ram = ram.order(ByteOrder.LITTLE_ENDIAN);
            ram.putLong((int) DESC, BUFFER).putInt((int) DESC + 8, 64);
        }

        void makeAvailable() {
            ram.putShort((int) AVAIL + 4 + 2 * (avail & (SIZE - 1)), (short) 0);
            avail = (avail + 1) & 0xffff;
            ram.putShort((int) AVAIL + 2, (short) avail);
        }
    }

    Echo busDevice;
    Ring busRing;

    Echo pciDevice;
    VfioDeviceFile pciFile;
    Ring pciRing;
    final ByteBuffer notify = ByteBuffer.allocate(2);
    long notifyPos;

    Path dir;
    RandomAccessFile shared;
    VfioUserClient client;
    Thread serverThread;
    Ring userRing;
    final byte[] notifyBytes = new byte[2];

    @Setup
    public void setUp() throws Exception {
        // the in-framework bus: what GuestDeviceImpl does, then kicks
        busDevice = new Echo();
        VmAddressSpace local = new VmAddressSpace("bus");
        busRing = new Ring(local.allocate(0, RAM));
        start(busDevice, local);

        // the virtio-pci front in-process: a VMM's container with the function's group
        VfioService vfio = BenchVfio.withType1();
        pciDevice = new Echo();
        UUID uuid = UUID.randomUUID();
        vfio.addGroupDevice(BenchFunctions.virtioPci(uuid, pciDevice));
        VmAddressSpace vm = new VmAddressSpace("vm");
        pciRing = new Ring(vm.allocate(0x4000_0000L, RAM));
        FileTable files = new FileTable();
        VfioContainer container = vfio.openContainer(vm, files);
        VfioGroup group = vfio.openGroup(vfio.groupOf(uuid.toString()), files);
        group.setContainer(container);
        container.setIommu(Vfio.VFIO_TYPE1v2_IOMMU);
        container.mapDma(0x4000_0000L, 0, RAM, Vfio.VFIO_DMA_MAP_FLAG_READ | Vfio.VFIO_DMA_MAP_FLAG_WRITE);
        pciFile = group.getDevice(uuid.toString());
        driverInit((offset, data) -> pciFile.writeRegion(Vfio.VFIO_PCI_BAR4_REGION_INDEX, offset, data));
        notifyPos = VfioRegions.position(Vfio.VFIO_PCI_BAR4_REGION_INDEX, BenchFunctions.notifyOffset(0));

        // over vfio-user: a second function, guest memory a shared file
        Echo userDevice = new Echo();
        UUID userUuid = UUID.randomUUID();
        vfio.addGroupDevice(BenchFunctions.virtioPci(userUuid, userDevice));
        dir = Files.createTempDirectory("virtio-pci-bench");
        Path socket = dir.resolve("bench.sock");
        AFUNIXSocket accepted;
        try (AFUNIXServerSocket server = AFUNIXServerSocket.newInstance()) {
            server.bind(AFUNIXSocketAddress.of(socket.toFile()));
            client = VfioUserClient.of(VfioUserChannel.connect(socket));
            accepted = server.accept();
        }
        Connection connection = new Connection(new VfioUserChannel(accepted), userUuid, vfio, () -> { });
        serverThread = new Thread(connection, "virtio-pci bench server");
        serverThread.setDaemon(true);
        serverThread.start();
        client.negotiate(1, 1 << 20);
        shared = new RandomAccessFile(dir.resolve("ram").toFile(), "rw");
        shared.setLength(RAM);
        MappedByteBuffer ram = shared.getChannel().map(FileChannel.MapMode.READ_WRITE, 0, RAM);
        userRing = new Ring(ram);
        client.dmaMap(0, RAM, Vfio.VFIO_DMA_MAP_FLAG_READ | Vfio.VFIO_DMA_MAP_FLAG_WRITE, shared.getFD(), 0);
        driverInit((offset, data) -> client.regionWrite(Vfio.VFIO_PCI_BAR4_REGION_INDEX, offset, data));
    }

    private static void start(Echo device, VmAddressSpace memory) {
        device.setGuestMemory(memory);
        device.setStatus(3);
        device.setFeatures(Virtio.bit(Virtio.F_VERSION_1));
        device.setStatus(11);
        device.setVqNum(0, SIZE);
        device.setVqAddress(0, DESC, AVAIL, USED);
        device.setVqReady(0, true);
        device.setStatus(15);
    }

    /** A write to BAR4 of a function: in-process or over a vfio-user client. */
    interface Bar4 {
        void write(long offset, byte... data) throws Exception;
    }

    /** virtio_pci_modern's probe in short: features, queue 0 at IOVA 0, DRIVER_OK. */
    private static void driverInit(Bar4 bar) throws Exception {
        bar.write(0x14, (byte) 3);
        bar.write(0x08, le(4, 1));
        bar.write(0x0c, le(4, 1));
        bar.write(0x14, (byte) 11);
        bar.write(0x16, le(2, 0));
        bar.write(0x18, le(2, SIZE));
        bar.write(0x20, le(8, DESC));
        bar.write(0x28, le(8, AVAIL));
        bar.write(0x30, le(8, USED));
        bar.write(0x1c, le(2, 1));
        bar.write(0x14, (byte) 15);
    }

    private static byte[] le(int size, long value) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    @TearDown
    public void tearDown() throws Exception {
        client.close();
        serverThread.join(5_000);
        shared.close();
        Files.deleteIfExists(dir.resolve("ram"));
        Files.deleteIfExists(dir.resolve("bench.sock"));
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public int baselineVirtioBusKick() {
        busRing.makeAvailable();
        busDevice.kickVq(0);
        return busRing.avail;
    }

    @Benchmark
    public int virtioPciNotifyInProcess() {
        pciRing.makeAvailable();
        return pciFile.write(notify.clear(), notifyPos);
    }

    @Benchmark
    public int virtioPciNotifyOverVfioUser() throws Exception {
        userRing.makeAvailable();
        client.regionWrite(Vfio.VFIO_PCI_BAR4_REGION_INDEX, BenchFunctions.notifyOffset(0), notifyBytes);
        return userRing.avail;
    }
}
