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
 * ...) reach it without looking the address up again (in a region on the Java heap, through its
 * array, as {@link Virtqueue} reaches its rings). A chain is used within the kick that popped it.
 */
public final class DescriptorChain {
    /**
     * A segment: the descriptor's address, length and flags (WRITE and NEXT; INDIRECT resolved,
     * the segments being the table's descriptors), and, in the VM's own memory, its region's
     * little-endian view (null when remote or behind an IOMMU) and, when the region is on the
     * Java heap, the view's array; {@code index} is the first byte's index in the array if there
     * is one, else in the view. An object of fields rather than parallel arrays: one bounds check
     * per access.
     */
    private static final class Segment {
        long addr;
        int len;
        int flags;
        ByteBuffer view;
        byte[] array;
        int index;
    }

    /** Made as chains first grow to each length, then reused. */
    private final Segment[] segments;
    private int count;
    /** Whether a writable segment was added: a readable one may not follow. */
    private boolean writableSeen;
    /** The region the last resolved segment lay in, valid while the layout has {@link #regionGeneration}. */
    private VmAddressSpace.LocalRegion lastRegion;
    /** lastRegion's array (null off the heap) and the array's index of the region's first byte. */
    private byte[] lastArray;
    private int lastArrayBase;
    private int regionGeneration;
    private int head;
    private VmAddressSpace memory;

    DescriptorChain(int capacity) {
        segments = new Segment[capacity];
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
        if (memory != this.memory) {
            this.memory = memory;
        }
        this.head = head;
        this.count = 0;
        this.writableSeen = false;
    }

    /** Appends a descriptor; {@code f} its flags as the driver wrote them (WRITE and NEXT are kept). */
    void add(long a, int l, int f) {
        boolean w = (f & Virtio.VRING_DESC_F_WRITE) != 0;
        if (count == segments.length || (!w && writableSeen)) {
            throw malformed(w);
        }
        writableSeen = w;
        long length = Integer.toUnsignedLong(l);
        VmAddressSpace.LocalRegion region = lastRegion;
        if (region == null || !region.holds(a, length)) {
            region = resolve(a, l);
        }
        Segment s = segments[count];
        if (s == null) {
            s = newSegment();
        }
        s.addr = a;
        s.len = l;
        s.flags = f & (Virtio.VRING_DESC_F_WRITE | Virtio.VRING_DESC_F_NEXT);
        ByteBuffer view = null;
        byte[] array = null;
        if (region != null) {
            view = region.memory();
            array = lastArray;
            s.index = region.index(a) + lastArrayBase;
        }
        // references are stored only on a change: a reference store pays the GC's write barrier
        // (a fence for old objects under G1)
        if (s.view != view) {
            s.view = view;
        }
        if (s.array != array) {
            s.array = array;
        }
        count++;
    }

    /**
     * Looks up the region of a descriptor outside the last one (kept out of {@link #add}, which
     * the JIT then inlines into the walk): the region, now the last one, or null when the
     * descriptor is in guest memory reached otherwise; EFAULT outside guest memory.
     */
    private VmAddressSpace.LocalRegion resolve(long a, int l) {
        long length = Integer.toUnsignedLong(l);
        VmAddressSpace.LocalRegion region = memory.localRegion(a, length);
        if (region != null) {
            lastRegion = region;
            ByteBuffer v = region.memory();
            boolean heap = v.hasArray();
            lastArray = heap ? v.array() : null;
            lastArrayBase = heap ? v.arrayOffset() : 0;
        } else if (!memory.contains(a, length)) {
            throw new ErrnoException(Errno.EFAULT, "descriptor 0x" + Long.toHexString(a) + "+"
                    + Integer.toUnsignedString(l) + " of chain " + head + " is outside guest memory");
        }
        return region;
    }

    private Segment newSegment() {
        Segment s = new Segment();
        segments[count] = s;
        return s;
    }

    private ErrnoException malformed(boolean w) {
        return count == segments.length
                ? new ErrnoException(Errno.EINVAL, "descriptor chain from head " + head + " is longer than "
                        + segments.length + " (a loop?)")
                : new ErrnoException(Errno.EINVAL, "readable descriptor after a writable one in chain " + head);
    }

    /** The head descriptor's index, which goes back in the used ring. */
    public int head() {
        return head;
    }

    public int segments() {
        return count;
    }

    /** Segment {@code i}; EINVAL when the chain has no such segment. */
    private Segment segment(int i) {
        if (i < 0 || i >= count) {
            throw new ErrnoException(Errno.EINVAL, "segment " + i + " of chain " + head + " of " + count + " segments");
        }
        return segments[i];
    }

    public long address(int i) {
        return segment(i).addr;
    }

    public int length(int i) {
        return segment(i).len;
    }

    public boolean isWritable(int i) {
        return (segment(i).flags & Virtio.VRING_DESC_F_WRITE) != 0;
    }

    /**
     * Segment {@code i}'s descriptor flags as the device matches them: WRITE and NEXT (the last
     * segment has no NEXT); INDIRECT is resolved, the segments being the table's descriptors.
     */
    public int flags(int i) {
        return segment(i).flags;
    }

    /** Segment {@code i}, for an access of {@code n} bytes at {@code offset}: EFAULT past its end. */
    private Segment within(int i, int offset, int n) {
        Segment s = segment(i);
        if (offset < 0 || offset > Integer.toUnsignedLong(s.len) - n) {
            throw new ErrnoException(Errno.EFAULT, n + " bytes at " + offset + " are outside segment " + i + " of chain "
                    + head);
        }
        return s;
    }

    /** The little-endian u16 at {@code offset} of segment {@code i}. */
    public int getShort(int i, int offset) {
        Segment s = within(i, offset, 2);
        byte[] array = s.array;
        if (array != null) {
            return Short.toUnsignedInt((short) LittleEndian.SHORT.get(array, s.index + offset));
        }
        ByteBuffer v = s.view;
        return v != null ? Short.toUnsignedInt(v.getShort(s.index + offset)) : memory.getShort(s.addr + offset);
    }

    /** The little-endian u32 at {@code offset} of segment {@code i}. */
    public int getInt(int i, int offset) {
        Segment s = within(i, offset, 4);
        byte[] array = s.array;
        if (array != null) {
            return (int) LittleEndian.INT.get(array, s.index + offset);
        }
        ByteBuffer v = s.view;
        return v != null ? v.getInt(s.index + offset) : memory.getInt(s.addr + offset);
    }

    /** The little-endian u64 at {@code offset} of segment {@code i}. */
    public long getLong(int i, int offset) {
        Segment s = within(i, offset, 8);
        byte[] array = s.array;
        if (array != null) {
            return (long) LittleEndian.LONG.get(array, s.index + offset);
        }
        ByteBuffer v = s.view;
        return v != null ? v.getLong(s.index + offset) : memory.getLong(s.addr + offset);
    }

    /** Copies {@code dst.remaining()} bytes at {@code offset} of segment {@code i} into {@code dst}. */
    public void read(int i, int offset, ByteBuffer dst) {
        int n = dst.remaining();
        Segment s = within(i, offset, n);
        byte[] array = s.array;
        ByteBuffer v = s.view;
        if (array != null) {
            dst.put(dst.position(), array, s.index + offset, n);
            dst.position(dst.position() + n);
        } else if (v != null) {
            dst.put(dst.position(), v, s.index + offset, n);
            dst.position(dst.position() + n);
        } else {
            memory.read(s.addr + offset, dst);
        }
    }

    /** Copies {@code src.remaining()} bytes to {@code offset} of segment {@code i}. */
    public void write(int i, int offset, ByteBuffer src) {
        int n = src.remaining();
        Segment s = within(i, offset, n);
        byte[] array = s.array;
        ByteBuffer v = s.view;
        if (array != null) {
            src.get(src.position(), array, s.index + offset, n);
            src.position(src.position() + n);
        } else if (v != null) {
            v.put(s.index + offset, src, src.position(), n);
            src.position(src.position() + n);
        } else {
            memory.write(s.addr + offset, src);
        }
    }

    /** Copies {@code src} to {@code offset} of segment {@code i}. */
    public void write(int i, int offset, byte[] src) {
        Segment s = within(i, offset, src.length);
        byte[] array = s.array;
        if (array != null) {
            System.arraycopy(src, 0, array, s.index + offset, src.length);
            return;
        }
        ByteBuffer v = s.view;
        if (v != null) {
            v.put(s.index + offset, src, 0, src.length);
        } else {
            memory.write(s.addr + offset, ByteBuffer.wrap(src));
        }
    }

    public int readableLength() {
        int n = 0;
        for (int i = 0; i < count && !isWritable(i); i++) {
            n += segments[i].len;
        }
        return n;
    }

    public int writableLength() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (isWritable(i)) {
                n += segments[i].len;
            }
        }
        return n;
    }

    /** Gathers readable bytes into {@code dst} (up to its remaining space); returns how many. */
    public int read(ByteBuffer dst) {
        int total = 0;
        for (int i = 0; i < count && !isWritable(i) && dst.hasRemaining(); i++) {
            int n = Math.min(segments[i].len, dst.remaining());
            int limit = dst.limit();
            dst.limit(dst.position() + n);
            read(i, 0, dst);   // through the segment's region, looked up when it was popped
            dst.limit(limit);
            total += n;
        }
        return total;
    }

    /** Scatters {@code src} into the writable segments; returns how many bytes were written. */
    public int write(ByteBuffer src) {
        int total = 0;
        for (int i = 0; i < count && src.hasRemaining(); i++) {
            if (!isWritable(i)) {
                continue;
            }
            int n = Math.min(segments[i].len, src.remaining());
            int limit = src.limit();
            src.limit(src.position() + n);
            write(i, 0, src);
            src.limit(limit);
            total += n;
        }
        return total;
    }
}
