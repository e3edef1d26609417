package vfio.user.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.newsclub.net.unix.FileDescriptorCast;

/** File descriptors that came over the socket: mapping them, closing them. Shared by server and client. */
public final class Descriptors {
    private Descriptors() {
    }

    /**
     * Maps {@code size} bytes of the file at {@code offset} (through {@code /proc/self/fd}, since
     * a FileDescriptor alone gives no read-write channel) and closes the descriptor: the mapping
     * stays.
     */
    public static MappedByteBuffer map(FileDescriptor fd, long offset, long size, boolean writable) throws IOException {
        try {
            Path self = Path.of("/proc/self/fd/" + FileDescriptorCast.using(fd).as(Integer.class));
            try (FileChannel file = writable ? FileChannel.open(self, StandardOpenOption.READ, StandardOpenOption.WRITE)
                    : FileChannel.open(self, StandardOpenOption.READ)) {
                return file.map(writable ? FileChannel.MapMode.READ_WRITE : FileChannel.MapMode.READ_ONLY, offset, size);
            }
        } finally {
            close(List.of(fd));
        }
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
}
