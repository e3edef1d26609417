package vfio.user.internal;

import java.nio.ByteBuffer;
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

import mdev.testkit.FakeVfio;
import mdev.testkit.FakeVfioDevice;
import vfio.core.FileTable;
import vfio.core.VfioRegions;
import vfio.user.VfioUserChannel;
import vfio.user.VfioUserClient;

/**
 * A 4-byte REGION_READ over vfio-user (client, UNIX socket, server connection, device, reply)
 * against the same read made in-process on the device file (the baseline), in one run.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class VfioUserBench {
    static final long REGISTER = 0x20;

    Path dir;
    Thread serverThread;
    VfioUserClient client;
    FakeVfioDevice local;
    final ByteBuffer four = ByteBuffer.allocate(4);

    @Setup
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("vfio-user-bench");
        Path path = dir.resolve("bench.sock");
        AFUNIXSocket accepted;
        try (AFUNIXServerSocket server = AFUNIXServerSocket.newInstance()) {
            server.bind(AFUNIXSocketAddress.of(path.toFile()));
            client = VfioUserClient.of(VfioUserChannel.connect(path));
            accepted = server.accept();
        }
        Connection connection = new Connection(new VfioUserChannel(accepted), UUID.randomUUID(), new FakeVfio(), () -> { });
        serverThread = new Thread(connection, "vfio-user bench server");
        serverThread.setDaemon(true);
        serverThread.start();
        client.negotiate("{}");
        local = new FakeVfioDevice(new FileTable());
    }

    @TearDown
    public void tearDown() throws Exception {
        client.close();
        serverThread.join(5_000);
        Files.deleteIfExists(dir.resolve("bench.sock"));
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public int baselineInProcessRead() {
        return local.read(four.clear(), VfioRegions.position(0, REGISTER));
    }

    @Benchmark
    public byte[] regionReadOverSocket() throws Exception {
        return client.regionRead(0, REGISTER, 4);
    }
}
