package vfio.user.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;

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
        this(false);
    }

    /**
     * A pair over a socket bound in a temporary directory and accepted, as a VMM connects; or,
     * when {@code socketPair}, over socketpair(2) (no file, no accept: the fuzzer makes a pair
     * per input).
     */
    ServerPair(boolean socketPair) throws IOException {
        AFUNIXSocket accepted;
        if (socketPair) {
            dir = null;
            AFUNIXSocketPair<AFUNIXSocketChannel> pair = AFUNIXSocketPair.open();
            client = new VfioUserChannel((AFUNIXSocket) pair.getSocket1().socket());
            accepted = (AFUNIXSocket) pair.getSocket2().socket();
        } else {
            dir = Files.createTempDirectory("vfio-user-test");
            Path path = dir.resolve("s");
            try (AFUNIXServerSocket server = AFUNIXServerSocket.newInstance()) {
                server.bind(AFUNIXSocketAddress.of(path.toFile()));
                client = VfioUserChannel.connect(path);
                accepted = server.accept();
            }
        }
        connection = new Connection(new VfioUserChannel(accepted), UUID.randomUUID(), vfio, () -> { });
        thread = new Thread(connection, "vfio-user test connection");
        thread.setDaemon(true);
        thread.start();
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
