package vfio.user.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.UUID;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;
import org.newsclub.net.unix.AFUNIXSocketCredentials;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VfioService;
import vfio.user.VfioUserChannel;
import mdev.log.Logs;

/**
 * A listening socket for one device: accepts a client, refuses others while it is connected,
 * and closes everything when stopped. The socket file is made 0600 right after bind; a peer of
 * another user that connects in between is refused by its credentials.
 */
final class ServedSocket {
    private static final System.Logger LOG = Logs.of(ServedSocket.class);
    /**
     * How long a new client waits for the previous one to be released: a VMM that reconnects
     * at once (QEMU after a restart) comes before the server has read the old socket's end.
     */
    private static final long PREVIOUS_CLIENT_GRACE_MILLIS = 2_000;

    private final Path path;
    private final UUID uuid;
    private final VfioService vfio;
    private final AFUNIXServerSocket server;
    private final Thread acceptor;
    private final long ownUid;
    /** The connected client, or null; guarded by this. */
    private Connection client;
    private Thread clientThread;
    private volatile boolean stopped;

    ServedSocket(Path path, UUID uuid, VfioService vfio) {
        this.path = path.toAbsolutePath().normalize();
        this.uuid = uuid;
        this.vfio = vfio;
        if (Files.exists(this.path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new ErrnoException(Errno.EEXIST, "socket file " + this.path + " exists");
        }
        try {
            this.ownUid = ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).longValue();
            this.server = AFUNIXServerSocket.newInstance();
            server.bind(AFUNIXSocketAddress.of(this.path.toFile()));
            Files.setPosixFilePermissions(this.path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new ErrnoException(Errno.EIO, "cannot listen on " + this.path + ": " + e.getMessage(), e);
        }
        this.acceptor = new Thread(this::acceptLoop, "vfio-user " + this.path);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    Path path() {
        return path;
    }

    UUID uuid() {
        return uuid;
    }

    synchronized boolean connected() {
        return client != null;
    }

    private void acceptLoop() {
        while (!stopped) {
            AFUNIXSocket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!stopped) {
                    LOG.log(Level.WARNING, "vfio-user " + path + " stopped accepting: " + e.getMessage());
                }
                return;
            }
            if (stopped) {
                closeQuietly(socket);   // stop's own wake-up connection
                return;
            }
            try {
                admit(socket);
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "vfio-user " + path + " refused a client: " + e.getMessage());
                closeQuietly(socket);
            }
        }
    }

    private void admit(AFUNIXSocket socket) throws IOException {
        AFUNIXSocketCredentials peer = socket.getPeerCredentials();
        if (peer == null || peer.getUid() != ownUid) {
            throw new IOException("peer uid " + (peer == null ? "?" : peer.getUid()) + " is not " + ownUid);
        }
        synchronized (this) {
            long deadline = System.currentTimeMillis() + PREVIOUS_CLIENT_GRACE_MILLIS;
            for (long left = PREVIOUS_CLIENT_GRACE_MILLIS; !stopped && client != null && left > 0;
                    left = deadline - System.currentTimeMillis()) {
                try {
                    wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while the previous client was released");
                }
            }
            if (stopped || client != null) {
                throw new IOException("one client at a time: " + (stopped ? "stopping" : "already connected"));
            }
            Connection connection = new Connection(new VfioUserChannel(socket), uuid, vfio, this::clientGone);
            client = connection;
            clientThread = new Thread(connection, "vfio-user client " + path);
            clientThread.setDaemon(true);
            clientThread.start();
        }
    }

    private synchronized void clientGone() {
        client = null;
        clientThread = null;
        notifyAll();
    }

    /** Stops accepting, drops the client (waiting for its release) and removes the file. */
    void stop() {
        synchronized (this) {
            stopped = true;
            notifyAll();
        }
        // Wake the acceptor with a connection of our own before closing: junixsocket 2.10's close of
        // a server socket blocked in accept leaks a descriptor per close (found by SoakIT).
        try (AFUNIXSocket wake = AFUNIXSocket.newInstance()) {
            wake.connect(AFUNIXSocketAddress.of(path.toFile()));
        } catch (IOException notListening) {
            // the acceptor has ended already
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        Connection c;
        Thread t;
        synchronized (this) {
            c = client;
            t = clientThread;
        }
        if (c != null) {
            c.close();
        }
        try {
            acceptor.join(5_000);
            if (t != null) {
                t.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot remove " + path + ": " + e.getMessage());
        }
    }

    private static void closeQuietly(AFUNIXSocket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing
        }
    }
}
