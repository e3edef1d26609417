package vfio.core;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A range of VM memory as the IOMMU reaches it: local memory, or memory that lives in another
 * process and is reached by messages (a vfio-user client's guest RAM mapped without a file
 * descriptor). Offsets are from the start of the range; callers have checked bounds. Accesses
 * are absolute: the buffers' positions do not move, and nothing is allocated for local memory.
 */
@ConsumerType
public interface VmMemory {
    long size();

    /** Copies {@code length} bytes at {@code offset} into {@code dst} at {@code dstPos}. */
    void read(long offset, ByteBuffer dst, int dstPos, int length);

    /** Copies {@code length} bytes of {@code src} at {@code srcPos} to {@code offset}. */
    void write(long offset, ByteBuffer src, int srcPos, int length);

    /** Local memory: a buffer the range's bytes live in. */
    static VmMemory of(ByteBuffer memory) {
        ByteBuffer m = memory.duplicate().clear();
        return new VmMemory() {
            @Override
            public long size() {
                return m.capacity();
            }

            @Override
            public void read(long offset, ByteBuffer dst, int dstPos, int length) {
                dst.put(dstPos, m, (int) offset, length);
            }

            @Override
            public void write(long offset, ByteBuffer src, int srcPos, int length) {
                m.put((int) offset, src, srcPos, length);
            }
        };
    }

    /** {@code [from, from + size)} of this memory. */
    default VmMemory slice(long from, long size) {
        VmMemory whole = this;
        return new VmMemory() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public void read(long offset, ByteBuffer dst, int dstPos, int length) {
                whole.read(from + offset, dst, dstPos, length);
            }

            @Override
            public void write(long offset, ByteBuffer src, int srcPos, int length) {
                whole.write(from + offset, src, srcPos, length);
            }
        };
    }
}
