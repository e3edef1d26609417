package vfio.core;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.util.Optional;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * A device's memory BAR that a guest maps (a framebuffer, video memory): a file another
 * process can map (a VMM over vfio-user maps it instead of sending reads and writes) when one
 * can be made, else heap memory, reached only by reads and writes. Not thread-safe: the
 * device's lock guards it.
 */
public final class VideoMemory implements AutoCloseable {
    private static final int PAGE = 4096;
    private final SharedMemory file;
    private final ByteBuffer memory;

    private VideoMemory(SharedMemory file, ByteBuffer memory) {
        this.file = file;
        this.memory = memory;
    }

    /** {@code size} bytes, zeroed. */
    public static VideoMemory allocate(int size) {
        try {
            SharedMemory shared = SharedMemory.allocate(size, 0, size);
            return new VideoMemory(shared, shared.window());
        } catch (ErrnoException noFile) {
            return new VideoMemory(null, ByteBuffer.allocate(size));
        }
    }

    public int size() {
        return memory.capacity();
    }

    /** The memory itself (absolute accesses; positions are the caller's). */
    public ByteBuffer buffer() {
        return memory;
    }

    /** The file another process maps, if the memory is in one. */
    public Optional<FileDescriptor> file() {
        return Optional.ofNullable(file).map(SharedMemory::fd);
    }

    /**
     * What an mmap of {@code length} bytes at {@code offset} of the BAR shares: page-aligned and
     * inside, EINVAL otherwise.
     */
    public ByteBuffer map(long offset, long length) {
        if (offset < 0 || length <= 0 || offset % PAGE != 0 || offset + length > memory.capacity()) {
            throw new ErrnoException(Errno.EINVAL, "mmap of 0x" + Long.toHexString(length) + " bytes at 0x"
                    + Long.toHexString(offset) + " of 0x" + Integer.toHexString(memory.capacity()) + " bytes of video memory");
        }
        return memory.slice((int) offset, (int) length);
    }

    /** Region reads and writes: {@code count} bytes at {@code offset}, checked by the caller. */
    public void read(ByteBuffer dst, int offset) {
        dst.put(memory.slice(offset, dst.remaining()));
    }

    public void write(ByteBuffer src, int offset) {
        memory.put(offset, src, src.position(), src.remaining());
    }

    @Override
    public void close() {
        if (file != null) {
            file.close();
        }
    }
}
