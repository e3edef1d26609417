package virtio.core;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/**
 * One available descriptor chain as the device sees it: readable segments first, then
 * writable ones, every address checked against guest memory when the chain was popped. A
 * {@link Virtqueue} fills the same object for each pop, so the notify path allocates nothing.
 *
 * <p>A segment in the VM's own memory is resolved once, when it is checked: its region is kept,
 * and the segment's accessors ({@link #getInt(int, int)}, {@link #write(int, int, ByteBuffer)},
 * ...) reach it without looking the address up again. A chain is used within the kick that
 * popped it.
 */
public final class DescriptorChain {
    private final long[] addr;
    private final int[] len;
    private final boolean[] writable;
    /** The region of each segment in the VM's own memory, or null (remote, behind an IOMMU). */
    private final VmAddressSpace.LocalRegion[] regions;
    private int count;
    /** The region the last resolved segment lay in, valid while the layout has {@link #regionGeneration}. */
    private VmAddressSpace.LocalRegion lastRegion;
    private int regionGeneration;
    private int head;
    private VmAddressSpace memory;

    DescriptorChain(int capacity) {
        addr = new long[capacity];
        len = new int[capacity];
        writable = new boolean[capacity];
        regions = new VmAddressSpace.LocalRegion[capacity];
    }

    /**
     * Starts the chain of {@code head}; {@code generation} is the memory's layout generation the
     * queue checked for this pop: a region kept from an earlier pop of the same generation is
     * still mapped, so segments in it need no lookup.
     */
    void reset(VmAddressSpace memory, int head, int generation) {
        if (memory != this.memory || generation != regionGeneration) {
            lastRegion = null;
            regionGeneration = generation;
        }
        this.memory = memory;
        this.head = head;
        this.count = 0;
    }

    void add(long a, int l, boolean w) {
        if (count == addr.length || (!w && count > 0 && writable[count - 1])) {
            throw malformed(w);
        }
        long length = Integer.toUnsignedLong(l);
        VmAddressSpace.LocalRegion region = lastRegion;
        if (region == null || !region.holds(a, length)) {
            region = memory.localRegion(a, length);
            if (region != null) {
                lastRegion = region;
            } else if (!memory.contains(a, length)) {
                throw new ErrnoException(Errno.EFAULT, "descriptor 0x" + Long.toHexString(a) + "+"
                        + Integer.toUnsignedString(l) + " of chain " + head + " is outside guest memory");
            }
        }
        addr[count] = a;
        len[count] = l;
        writable[count] = w;
        regions[count] = region;
        count++;
    }

    private ErrnoException malformed(boolean w) {
        return count == addr.length
                ? new ErrnoException(Errno.EINVAL, "descriptor chain from head " + head + " is longer than " + addr.length
                        + " (a loop?)")
                : new ErrnoException(Errno.EINVAL, "readable descriptor after a writable one in chain " + head);
    }

    /** The head descriptor's index, which goes back in the used ring. */
    public int head() {
        return head;
    }

    public int segments() {
        return count;
    }

    public long address(int i) {
        return addr[i];
    }

    public int length(int i) {
        return len[i];
    }

    public boolean isWritable(int i) {
        return writable[i];
    }

    /** The offset of an access of {@code n} bytes at {@code offset} into segment {@code i}; EFAULT past its end. */
    private int within(int i, int offset, int n) {
        if (i < 0 || i >= count || offset < 0 || offset > Integer.toUnsignedLong(len[i]) - n) {
            throw outside(i, offset, n);
        }
        return offset;
    }

    private ErrnoException outside(int i, int offset, int n) {
        return new ErrnoException(Errno.EFAULT, n + " bytes at " + offset + " are outside segment " + i + " of chain " + head);
    }

    /** The little-endian u16 at {@code offset} of segment {@code i}. */
    public int getShort(int i, int offset) {
        within(i, offset, 2);
        VmAddressSpace.LocalRegion r = regions[i];
        return r != null ? Short.toUnsignedInt(Short.reverseBytes(r.memory().getShort(r.index(addr[i] + offset))))
                : memory.getShort(addr[i] + offset);
    }

    /** The little-endian u32 at {@code offset} of segment {@code i}. */
    public int getInt(int i, int offset) {
        within(i, offset, 4);
        VmAddressSpace.LocalRegion r = regions[i];
        return r != null ? Integer.reverseBytes(r.memory().getInt(r.index(addr[i] + offset))) : memory.getInt(addr[i] + offset);
    }

    /** The little-endian u64 at {@code offset} of segment {@code i}. */
    public long getLong(int i, int offset) {
        within(i, offset, 8);
        VmAddressSpace.LocalRegion r = regions[i];
        return r != null ? Long.reverseBytes(r.memory().getLong(r.index(addr[i] + offset))) : memory.getLong(addr[i] + offset);
    }

    /** Copies {@code dst.remaining()} bytes at {@code offset} of segment {@code i} into {@code dst}. */
    public void read(int i, int offset, ByteBuffer dst) {
        int n = dst.remaining();
        within(i, offset, n);
        VmAddressSpace.LocalRegion r = regions[i];
        if (r != null) {
            dst.put(dst.position(), r.memory(), r.index(addr[i] + offset), n);
            dst.position(dst.position() + n);
        } else {
            memory.read(addr[i] + offset, dst);
        }
    }

    /** Copies {@code src.remaining()} bytes to {@code offset} of segment {@code i}. */
    public void write(int i, int offset, ByteBuffer src) {
        int n = src.remaining();
        within(i, offset, n);
        VmAddressSpace.LocalRegion r = regions[i];
        if (r != null) {
            r.memory().put(r.index(addr[i] + offset), src, src.position(), n);
            src.position(src.position() + n);
        } else {
            memory.write(addr[i] + offset, src);
        }
    }

    /** Copies {@code src} to {@code offset} of segment {@code i}. */
    public void write(int i, int offset, byte[] src) {
        within(i, offset, src.length);
        VmAddressSpace.LocalRegion r = regions[i];
        if (r != null) {
            r.memory().put(r.index(addr[i] + offset), src, 0, src.length);
        } else {
            memory.write(addr[i] + offset, ByteBuffer.wrap(src));
        }
    }

    public int readableLength() {
        int n = 0;
        for (int i = 0; i < count && !writable[i]; i++) {
            n += len[i];
        }
        return n;
    }

    public int writableLength() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (writable[i]) {
                n += len[i];
            }
        }
        return n;
    }

    /** Gathers readable bytes into {@code dst} (up to its remaining space); returns how many. */
    public int read(ByteBuffer dst) {
        int total = 0;
        for (int i = 0; i < count && !writable[i] && dst.hasRemaining(); i++) {
            int n = Math.min(len[i], dst.remaining());
            int limit = dst.limit();
            dst.limit(dst.position() + n);
            memory.read(addr[i], dst);
            dst.limit(limit);
            total += n;
        }
        return total;
    }

    /** Scatters {@code src} into the writable segments; returns how many bytes were written. */
    public int write(ByteBuffer src) {
        int total = 0;
        for (int i = 0; i < count && src.hasRemaining(); i++) {
            if (!writable[i]) {
                continue;
            }
            int n = Math.min(len[i], src.remaining());
            int limit = src.limit();
            src.limit(src.position() + n);
            memory.write(addr[i], src);
            src.limit(limit);
            total += n;
        }
        return total;
    }
}
