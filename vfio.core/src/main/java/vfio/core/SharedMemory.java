package vfio.core;

import java.io.FileDescriptor;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * Memory another process can map: a sparse temporary file (unlinked at once, so it goes when
 * closed) of which a window is mapped here. Its descriptor is what a vfio-user server passes
 * for an mmap-able region; a mapping of the same file elsewhere shares these bytes.
 */
public final class SharedMemory implements AutoCloseable {
    private final RandomAccessFile file;
    private final MappedByteBuffer window;

    private SharedMemory(RandomAccessFile file, MappedByteBuffer window) {
        this.file = file;
        this.window = window;
    }

    /**
     * A file of {@code fileSize} bytes (holes until written) with {@code [from, from + size)}
     * mapped. ENOMEM when the file cannot be made or mapped.
     */
    public static SharedMemory allocate(long fileSize, long from, long size) {
        if (from < 0 || size <= 0 || from + size > fileSize || size > Integer.MAX_VALUE) {
            throw new ErrnoException(Errno.EINVAL, "shared window 0x" + Long.toHexString(from) + "+0x"
                    + Long.toHexString(size) + " outside a file of 0x" + Long.toHexString(fileSize));
        }
        Path path = null;
        RandomAccessFile file = null;
        try {
            path = Files.createTempFile("mdev-osgi-shared-", ".mem");
            file = new RandomAccessFile(path.toFile(), "rw");
            Files.delete(path);
            file.setLength(fileSize);
            MappedByteBuffer window = file.getChannel().map(FileChannel.MapMode.READ_WRITE, from, size);
            return new SharedMemory(file, window);
        } catch (IOException e) {
            try {
                if (file != null) {
                    file.close();
                }
                if (path != null) {
                    Files.deleteIfExists(path);
                }
            } catch (IOException ignored) {
                // nothing more to release
            }
            throw new ErrnoException(Errno.ENOMEM, "cannot make shared memory of 0x" + Long.toHexString(fileSize)
                    + " bytes: " + e.getMessage(), e);
        }
    }

    /** The mapped window (a duplicate each call: positions are the caller's). */
    public MappedByteBuffer window() {
        return (MappedByteBuffer) window.duplicate();
    }

    /** The file's descriptor, valid until {@link #close}. */
    public FileDescriptor fd() {
        try {
            return file.getFD();
        } catch (IOException e) {
            throw new ErrnoException(Errno.EBADF, "shared memory closed", e);
        }
    }

    /** Closes the file; the window stays valid until it is collected, other processes' mappings too. */
    @Override
    public void close() {
        try {
            file.close();
        } catch (IOException e) {
            // closing
        }
    }
}
