package vfio.user.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.FileDescriptorCast;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** File descriptors that came over the socket: mapping them, closing them. Shared by server and client. */
public final class Descriptors {
    private Descriptors() {
    }

    /**
     * Maps {@code size} bytes of the file at {@code offset} (through {@code /proc/self/fd}, since
     * a FileDescriptor alone gives no read-write channel) and closes the descriptor: the mapping
     * stays until the collector finds it (the client's mapping of a server's region).
     */
    public static MappedByteBuffer map(FileDescriptor fd, long offset, long size, boolean writable) throws IOException {
        try {
            Path self = Path.of("/proc/self/fd/" + mappable(fd, offset, size));
            try (FileChannel file = writable ? FileChannel.open(self, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(self, StandardOpenOption.READ)) {
                return file.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, offset, size);
            }
        } finally {
            close(List.of(fd));
        }
    }

    /**
     * Maps {@code size} bytes of the file at {@code offset} with mmap(2), unmapped when the
     * mapping is closed, and closes the descriptor (the server's mapping of client memory).
     */
    static NativeMapping mapNative(FileDescriptor fd, long offset, long size, boolean writable) throws IOException {
        try {
            return NativeMapping.map(mappable(fd, offset, size), offset, size, writable);
        } finally {
            close(List.of(fd));
        }
    }

    /**
     * The descriptor's number, if it can be mapped: a regular file (memfd included) holding the
     * whole range. Its type and size come from stat, which never blocks, before anything opens
     * it (opening a FIFO without a writer blocks for good); a writable map past the end would
     * grow the file.
     */
    private static int mappable(FileDescriptor fd, long offset, long size) throws IOException {
        int number = FileDescriptorCast.using(fd).as(Integer.class);
        BasicFileAttributes attributes = Files.readAttributes(Path.of("/proc/self/fd/" + number), BasicFileAttributes.class);
        if (!attributes.isRegularFile()) {
            throw new ErrnoException(Errno.EINVAL, "descriptor " + number + " is no regular file or memfd");
        }
        if (offset < 0 || size < 0 || offset > attributes.size() - size) {
            throw new ErrnoException(Errno.EINVAL, "0x" + Long.toHexString(size) + " bytes at 0x"
                    + Long.toHexString(offset) + " are past the end of a file of 0x" + Long.toHexString(attributes.size()));
        }
        return number;
    }

    /** Closes each descriptor; one already closed is skipped. */
    public static void close(List<FileDescriptor> fds) {
        for (FileDescriptor fd : fds) {
            try {
                new FileOutputStream(fd).close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    /** Where a forwarded interrupt goes: {@link #signal} adds to the peer's count, never blocking. */
    public interface Signal {
        void signal(long n);

        void close();
    }

    /**
     * A {@link Signal} writing eventfd increments to {@code fd}, which must be an eventfd or a
     * UNIX socket (told by its /proc/self/fd link, without touching it); the descriptor is the
     * signal's from then on.
     */
    public static Signal signalling(FileDescriptor fd) throws IOException {
        int number = FileDescriptorCast.using(fd).as(Integer.class);
        String kind = Files.readSymbolicLink(Path.of("/proc/self/fd/" + number)).toString();
        if (kind.equals("anon_inode:[eventfd]")) {
            return new EventFdSignal(new FileOutputStream(fd));
        }
        if (kind.startsWith("socket:")) {
            // a channel of its own on a duplicate: closing fd cannot close a number it still uses
            AFUNIXSocketChannel socket = FileDescriptorCast.duplicating(fd).as(AFUNIXSocketChannel.class);
            close(List.of(fd));
            socket.configureBlocking(false);
            return new SocketSignal(socket);
        }
        close(List.of(fd));
        throw new IOException("descriptor " + number + " (" + kind + ") is no eventfd nor socket");
    }

    /** An eventfd: one 8-byte write of the increment, which blocks only past a count of 2^64 - 2. */
    private static final class EventFdSignal implements Signal {
        private final FileOutputStream out;
        private final byte[] value = new byte[8];
        private final ByteBuffer count = ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN);
        private volatile boolean closed;

        EventFdSignal(FileOutputStream out) {
            this.out = out;
        }

        @Override
        public synchronized void signal(long n) {
            if (closed) {
                return;
            }
            count.putLong(0, n);   // nothing allocated per interrupt
            try {
                out.write(value);
            } catch (IOException e) {
                // the client closed its end: interrupts have nowhere to go
            }
        }

        @Override
        public void close() {
            closed = true;
            try {
                out.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    /**
     * A socket written without blocking. An increment goes whole or not at all: when the
     * socket has no room the peer has not read the last ones, and this one is dropped; a part
     * the socket took is finished before the next, so the stream stays in 8-byte steps.
     */
    private static final class SocketSignal implements Signal {
        private final AFUNIXSocketChannel socket;
        private final ByteBuffer value = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).limit(0);

        SocketSignal(AFUNIXSocketChannel socket) {
            this.socket = socket;
        }

        @Override
        public synchronized void signal(long n) {
            try {
                if (value.hasRemaining() && socket.write(value) >= 0 && value.hasRemaining()) {
                    return;   // still no room for the rest of the last one
                }
                value.clear().putLong(0, n);
                socket.write(value);
                if (value.position() == 0) {
                    value.limit(0);   // no room at all: dropped
                }
            } catch (IOException e) {
                value.limit(0);   // the client closed its end
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
