package vfio.user.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import mdev.testkit.FakeVfio;
import vfio.user.VfioUserChannel;

/** A server connection on an accepted UNIX socket, over fake VFIO, and the client's end. */
final class ServerPair implements AutoCloseable {
    final FakeVfio vfio = new FakeVfio();
    final VfioUserChannel client;
    final Connection connection;
    final Thread thread;
    private final Path dir;

    ServerPair() throws IOException {
        dir = Files.createTempDirectory("vfio-user-test");
        Path path = dir.resolve("s");
        AFUNIXSocket accepted;
        try (AFUNIXServerSocket server = AFUNIXServerSocket.newInstance()) {
            server.bind(AFUNIXSocketAddress.of(path.toFile()));
            client = VfioUserChannel.connect(path);
            accepted = server.accept();
        }
        connection = new Connection(new VfioUserChannel(accepted), UUID.randomUUID(), vfio, () -> { });
        thread = start(connection);
    }

    /**
     * A pair through a server socket that stays bound at {@code path} (a fuzzer makes a pair
     * per input: one bind for all of them). Not socketpair(2): junixsocket 2.10.1 leaves both
     * descriptors of an {@code AFUNIXSocketPair} open when its channels close.
     */
    ServerPair(AFUNIXServerSocket server, Path path) throws IOException {
        dir = null;
        client = VfioUserChannel.connect(path);
        connection = new Connection(new VfioUserChannel(server.accept()), UUID.randomUUID(), vfio, () -> { });
        thread = start(connection);
    }

    private static Thread start(Connection connection) {
        Thread thread = new Thread(connection, "vfio-user test connection");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Whether the connection ended (released everything) within the time. */
    boolean ended(long seconds) throws InterruptedException {
        thread.join(TimeUnit.SECONDS.toMillis(seconds));
        return !thread.isAlive();
    }

    /** Closes the client's end and waits for the connection to end. */
    @Override
    public void close() throws IOException {
        client.close();
        try {
            ended(10);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (dir != null) {
            Files.deleteIfExists(dir.resolve("s"));
            Files.deleteIfExists(dir);
        }
    }
}
