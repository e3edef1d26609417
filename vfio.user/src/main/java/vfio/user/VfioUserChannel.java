package vfio.user;

import java.io.EOFException;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;

import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * Messages over a UNIX stream socket, file descriptors as SCM_RIGHTS (junixsocket). A message
 * is written with one write, so its descriptors travel with its first byte; reading takes the
 * header, checks the size against the limit before reading the payload, and collects the
 * descriptors that came with it. Sends may come from several threads (replies and
 * server-to-client commands); receives from one.
 */
public final class VfioUserChannel implements AutoCloseable {
    private final AFUNIXSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Object sendLock = new Object();

    public VfioUserChannel(AFUNIXSocket socket) throws IOException {
        this.socket = socket;
        socket.setAncillaryReceiveBufferSize(VfioUser.MAX_MSG_FDS * Integer.BYTES + 256);
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** Connects to a server's socket file. */
    public static VfioUserChannel connect(Path socketFile) throws IOException {
        AFUNIXSocket socket = AFUNIXSocket.newInstance();
        try {
            socket.connect(AFUNIXSocketAddress.of(socketFile.toFile()));
            return new VfioUserChannel(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /** Writes bytes as they are, outside the message framing: for testing how a peer takes malformed input. */
    public void writeRaw(byte[] bytes) throws IOException {
        synchronized (sendLock) {
            out.write(bytes);
            out.flush();
        }
    }

    /**
     * The next message, or null when the peer closed the connection between messages. EINVAL
     * for a header that cannot be trusted (the connection should then be closed); an
     * {@link EOFException} when the stream ends inside a message.
     */
    public VfioUserMessage receive(int maxSize) throws IOException {
        byte[] header = new byte[VfioUser.HEADER_SIZE];
        int got = readFully(header, true);
        if (got == 0) {
            return null;
        }
        int[] h = VfioUserMessage.decodeHeader(ByteBuffer.wrap(header), maxSize);
        byte[] payload = new byte[h[2] - VfioUser.HEADER_SIZE];
        readFully(payload, false);
        FileDescriptor[] fds = socket.getReceivedFileDescriptors();
        List<FileDescriptor> received = fds == null ? List.of() : List.of(fds);
        return new VfioUserMessage(h[0], h[1], h[3], h[4], ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN),
                received);
    }

    /** Reads all of {@code into}; returns 0 if the stream ended before its first byte and {@code eofOk}. */
    private int readFully(byte[] into, boolean eofOk) throws IOException {
        int n = 0;
        while (n < into.length) {
            int r = in.read(into, n, into.length - n);
            if (r < 0) {
                if (n == 0 && eofOk) {
                    return 0;
                }
                throw new EOFException("vfio-user connection closed inside a message (" + n + " of " + into.length
                        + " bytes)");
            }
            n += r;
        }
        return n;
    }

    /** Sends a message (header, payload and descriptors) in one write. */
    public void send(VfioUserMessage message) throws IOException {
        ByteBuffer payload = message.payload();
        byte[] bytes = new byte[message.size()];
        message.header().get(0, bytes, 0, VfioUser.HEADER_SIZE);
        payload.get(payload.position(), bytes, VfioUser.HEADER_SIZE, payload.remaining());
        synchronized (sendLock) {
            if (!message.fds().isEmpty()) {
                socket.setOutboundFileDescriptors(message.fds().toArray(FileDescriptor[]::new));
            }
            out.write(bytes);
            out.flush();
        }
    }

    /** Half-closes: the peer reads end of stream after what was sent; replies can still come. */
    public void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    public boolean isClosed() {
        return socket.isClosed();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing: nothing more to do
        }
    }

    /** EINVAL unless the payload has at least {@code size} bytes. */
    public static ByteBuffer require(VfioUserMessage m, int size, String what) {
        if (m.payload().remaining() < size) {
            throw new ErrnoException(Errno.EINVAL, VfioUser.commandName(m.command()) + " needs a " + what + " of "
                    + size + " bytes, got " + m.payload().remaining());
        }
        return m.payload();
    }
}
