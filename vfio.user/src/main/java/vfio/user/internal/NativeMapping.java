package vfio.user.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * A client's file mapped with mmap(2) and unmapped with munmap(2) when closed. A
 * {@code MappedByteBuffer} is unmapped only when the collector finds it, which can be never: a
 * client that maps and unmaps guest memory in a loop would pile up mappings towards
 * {@code vm.max_map_count}, and the spec wants every reference dropped before DMA_UNMAP's reply.
 * Native access is JNA's (this project is on Java 17, whose foreign memory API is a preview).
 *
 * <p>Closing is safe only once nothing can reach {@link #buffer()}: the connection closes a
 * mapping after type1 has dropped it (vendors reach client memory only through type1, under its
 * lock, and have unpinned by then) and the VM has forgotten it.
 */
final class NativeMapping implements AutoCloseable {
    static {
        // JNA unpacks its native stub under ~/.cache/JNA unless told where: with junixsocket's,
        // in java.io.tmpdir, so that serving a device writes nothing in the user's home
        if (System.getProperty("jna.tmpdir") == null) {
            System.setProperty("jna.tmpdir", System.getProperty("java.io.tmpdir"));
        }
    }

    private static final int PROT_READ = 0x1;
    private static final int PROT_WRITE = 0x2;
    private static final int MAP_SHARED = 0x01;

    /** The C library calls used here. */
    interface LibC extends Library {
        LibC C = Native.load("c", LibC.class);

        Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

        int munmap(Pointer addr, long length);
    }

    private final Pointer address;
    private final long size;
    private final ByteBuffer buffer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private NativeMapping(Pointer address, long size, boolean writable) {
        this.address = address;
        this.size = size;
        ByteBuffer memory = address.getByteBuffer(0, size);
        // a write to a PROT_READ page would kill the JVM: read-only maps give read-only buffers
        this.buffer = writable ? memory : memory.asReadOnlyBuffer();
    }

    /** mmap(NULL, size, PROT_READ [| PROT_WRITE], MAP_SHARED, fd, offset). */
    static NativeMapping map(int fd, long offset, long size, boolean writable) throws IOException {
        Pointer address = LibC.C.mmap(null, size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, offset);
        if (address == null || Pointer.nativeValue(address) == -1L) {
            throw new IOException("mmap of descriptor " + fd + " failed: errno " + Native.getLastError());
        }
        return new NativeMapping(address, size, writable);
    }

    /** The mapped memory; not to be touched once closed. */
    ByteBuffer buffer() {
        return buffer;
    }

    /** munmap, once. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            LibC.C.munmap(address, size);
        }
    }
}
