package vfio.user.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.StandardOpenOption;
import java.util.List;

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
     * stays. Only a regular file (memfd included) is mapped, and only within its size: its type
     * and size are read with stat, which never blocks, before it is opened (opening a FIFO
     * without a writer would block for good), and a writable map past the end would grow it.
     */
    public static MappedByteBuffer map(FileDescriptor fd, long offset, long size, boolean writable) throws IOException {
        try {
            int number = FileDescriptorCast.using(fd).as(Integer.class);
            Path self = Path.of("/proc/self/fd/" + number);
            BasicFileAttributes attributes = Files.readAttributes(self, BasicFileAttributes.class);
            if (!attributes.isRegularFile()) {
                throw new ErrnoException(Errno.EINVAL, "descriptor " + number + " is no regular file or memfd");
            }
            if (offset < 0 || size < 0 || offset > attributes.size() - size) {
                throw new ErrnoException(Errno.EINVAL, "0x" + Long.toHexString(size) + " bytes at 0x"
                        + Long.toHexString(offset) + " are past the end of a file of 0x" + Long.toHexString(attributes.size()));
            }
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
