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
 * Round trips per second: a 4-byte REGION_READ over vfio-user (client, UNIX socket, server connection, device, reply)
 * against two baselines in the same run: the same read made in-process on the device file, and
 * a bare 32-byte ping-pong over a UNIX socket to an echo thread (the floor any socket protocol
 * pays for two wake-ups).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
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
    AFUNIXSocket pingClient;
    AFUNIXSocket pingServer;
    final byte[] ping = new byte[32];

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
        client.negotiate(1, 1 << 20);
        local = new FakeVfioDevice(new FileTable());

        Path echoPath = dir.resolve("echo.sock");
        try (AFUNIXServerSocket server = AFUNIXServerSocket.newInstance()) {
            server.bind(AFUNIXSocketAddress.of(echoPath.toFile()));
            pingClient = AFUNIXSocket.newInstance();
            pingClient.connect(AFUNIXSocketAddress.of(echoPath.toFile()));
            pingServer = server.accept();
        }
        Thread echo = new Thread(() -> {
            byte[] b = new byte[32];
            try {
                while (pingServer.getInputStream().readNBytes(b, 0, 32) == 32) {
                    pingServer.getOutputStream().write(b);
                }
            } catch (java.io.IOException closed) {
                // the benchmark ended
            }
        }, "echo");
        echo.setDaemon(true);
        echo.start();
    }

    @TearDown
    public void tearDown() throws Exception {
        client.close();
        pingClient.close();
        pingServer.close();
        serverThread.join(5_000);
        Files.deleteIfExists(dir.resolve("bench.sock"));
        Files.deleteIfExists(dir.resolve("echo.sock"));
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public int baselineInProcessRead() {
        return local.read(four.clear(), VfioRegions.position(0, REGISTER));
    }

    @Benchmark
    public byte[] baselineSocketPingPong() throws Exception {
        pingClient.getOutputStream().write(ping);
        pingClient.getInputStream().readNBytes(ping, 0, 32);
        return ping;
    }

    @Benchmark
    public byte[] regionReadOverSocket() throws Exception {
        return client.regionRead(0, REGISTER, 4);
    }
}
