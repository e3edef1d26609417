package virtio.core;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/**
 * The device side of a split virtqueue (virtio 1.1 §2.6) in guest memory:
 * <pre>
 * descriptor table  16 bytes each: le64 addr, le32 len, le16 flags (NEXT 1, WRITE 2, INDIRECT 4), le16 next
 * available ring    le16 flags, le16 idx, le16 ring[size], le16 used_event
 * used ring         le16 flags, le16 idx, {le32 id, le32 len} ring[size], le16 avail_event
 * </pre>
 * Every index and address the driver wrote is checked: a head or next past the table, a
 * chain longer than the queue (where a loop ends), an indirect table that is empty, not a
 * multiple of 16 bytes, nested or combined with NEXT, a readable descriptor after a writable
 * one, or an available index more than a queue ahead answer EINVAL; memory outside the guest's
 * EFAULT.
 * Indices are 16-bit and wrap. Not thread-safe: the device serialises each queue.
 *
 * <p>When the three areas lie in one region of the VM's own memory (not behind an IOMMU, not
 * reached by messages; a driver allocates its ring in one piece), the queue keeps that region's
 * little-endian view and the areas' indexes in it, taken at setup and again whenever the address
 * space's {@link VmAddressSpace#generation generation} moves (a map or unmap), so that reading
 * indices and descriptors and writing used entries are plain buffer accesses rather than a region
 * lookup each. The view is the region's own, the same object the chains' segments in that
 * region read through. When the region is on the Java heap (an in-JVM VMM's memory), its array
 * is reached directly, little-endian, which takes fewer instructions per access than the buffer
 * (no scope, limit or byte-order checks): a notify is bound by its count of instructions.
 */
public final class Virtqueue {
    public static final int DESC_SIZE = 16;

    private final VmAddressSpace memory;
    private final int size;
    private final long desc;
    private final long avail;
    private final long used;
    private final DescriptorChain chain;
    /** Whether VIRTIO_F_RING_INDIRECT_DESC was negotiated: without it an INDIRECT descriptor is EINVAL. */
    private final boolean indirect;
    private int lastAvail;
    /** The available index as last read: chains up to it may be popped with {@link #next}. */
    private int availSeen;
    private int usedIdx;
    /**
     * The view of the region holding the three areas, or null when they are not in one region of
     * local memory; as of {@link #viewGeneration}. The areas start at these indexes of it.
     */
    private ByteBuffer view;
    /**
     * The view's array when the region is on the Java heap, else null; when there is one, the
     * areas' indexes are the array's (the view's plus its array offset).
     */
    private byte[] ring;
    private int descAt;
    private int availAt;
    private int usedAt;
    private int viewGeneration;

    /** A queue whose driver negotiated VIRTIO_F_RING_INDIRECT_DESC; see the full constructor. */
    public Virtqueue(VmAddressSpace memory, int size, long desc, long avail, long used) {
        this(memory, size, desc, avail, used, true);
    }

    /**
     * A split queue over the driver's areas; {@code indirect} says whether the driver negotiated
     * VIRTIO_F_RING_INDIRECT_DESC (virtio 1.1 §2.6.5.3: without it a descriptor must not set
     * INDIRECT). EINVAL for a size that is not a power of two up to 32768 or misaligned areas;
     * EFAULT outside memory.
     */
    public Virtqueue(VmAddressSpace memory, int size, long desc, long avail, long used, boolean indirect) {
        if (size <= 0 || size > Virtio.MAX_QUEUE_SIZE || Integer.bitCount(size) != 1) {
            throw new ErrnoException(Errno.EINVAL, "queue size " + size + " is not a power of 2 up to 32768");
        }
        if ((desc & 15) != 0 || (avail & 1) != 0 || (used & 3) != 0) {
            throw new ErrnoException(Errno.EINVAL, "misaligned queue areas desc 0x" + Long.toHexString(desc) + " avail 0x"
                    + Long.toHexString(avail) + " used 0x" + Long.toHexString(used));
        }
        if (!memory.contains(desc, (long) DESC_SIZE * size) || !memory.contains(avail, 6 + 2L * size)
                || !memory.contains(used, 6 + 8L * size)) {
            throw new ErrnoException(Errno.EFAULT, "queue areas of size " + size + " are outside guest memory");
        }
        this.memory = memory;
        this.size = size;
        this.desc = desc;
        this.avail = avail;
        this.used = used;
        this.chain = new DescriptorChain(size);
        this.indirect = indirect;
        resolveViews(memory.generation());
        this.usedIdx = memory.getShort(used + 2);
        this.lastAvail = usedIdx;
        this.availSeen = usedIdx;
    }

    /** Whether the areas are reachable through views now, taking them again after a map or unmap. */
    private boolean local() {
        int generation = memory.generation();
        if (generation != viewGeneration) {
            resolveViews(generation);
        }
        return view != null;
    }

    private void resolveViews(int generation) {
        viewGeneration = generation;
        VmAddressSpace.LocalRegion region = memory.localRegion(desc, (long) DESC_SIZE * size);
        if (region != null && region.holds(avail, 6 + 2L * size) && region.holds(used, 6 + 8L * size)) {
            view = region.memory();
            int base = 0;
            if (view.hasArray()) {
                ring = view.array();
                base = view.arrayOffset();
            } else {
                ring = null;
            }
            descAt = base + region.index(desc);
            availAt = base + region.index(avail);
            usedAt = base + region.index(used);
        } else {
            ring = null;
            view = null;   // behind an IOMMU, remote, split or unmapped: every access goes through the address space
        }
    }

    private int availShort(int offset) {
        byte[] r = ring;
        if (r != null) {
            return Short.toUnsignedInt((short) LittleEndian.SHORT.get(r, availAt + offset));
        }
        return view != null ? Short.toUnsignedInt(view.getShort(availAt + offset)) : memory.getShort(avail + offset);
    }

    public int size() {
        return size;
    }

    /** The next available index the device will read (the queue's state). */
    public int lastAvail() {
        return lastAvail;
    }

    public void setLastAvail(int index) {
        lastAvail = index & 0xffff;
        availSeen = lastAvail;
    }

    /** Whether the driver has made chains available that the device has not popped. */
    public boolean hasAvailable() {
        local();
        return availShort(2) != lastAvail;
    }

    /**
     * Pops the next available chain; null when there is none. The returned chain is reused by
     * the next pop.
     */
    public DescriptorChain pop() {
        local();
        int availIdx = availShort(2);
        return availIdx == lastAvail ? null : pop(availIdx);   // the empty check stays small enough to inline
    }

    private DescriptorChain pop(int availIdx) {
        checkPending(availIdx);
        availSeen = availIdx;
        return popSeen();
    }

    /**
     * How many chains the driver has made available now (one read of the available index; EINVAL
     * when it is more than a queue ahead): a device that serves a kick's chains as a batch pops
     * them with {@link #next}, as uvirtio's notify does, rather than reading the index once more
     * per chain.
     */
    public int available() {
        local();
        int availIdx = availShort(2);
        int pending = checkPending(availIdx);
        availSeen = availIdx;
        return pending;
    }

    /**
     * Pops the next of the chains {@link #available} counted; null when they are all popped. The
     * ring is reached as {@link #available} found it.
     */
    public DescriptorChain next() {
        return availSeen == lastAvail ? null : popSeen();
    }

    private int checkPending(int availIdx) {
        int pending = (availIdx - lastAvail) & 0xffff;
        if (pending > size) {
            throw malformed("available index " + availIdx + " is " + pending + " ahead of " + lastAvail
                    + " on a queue of " + size);
        }
        return pending;
    }

    /** Pops the chain at {@code lastAvail}, which is before {@code availSeen}; the views are current. */
    private DescriptorChain popSeen() {
        int head = availShort(4 + 2 * (lastAvail & (size - 1)));
        lastAvail = (lastAvail + 1) & 0xffff;
        if (head >= size) {
            throw malformed("available head " + head + " is past the table of " + size);
        }
        chain.reset(memory, head, viewGeneration);
        walk(desc, ring, view, descAt, size, head, false);
        return chain;
    }

    /**
     * Walks a chain in {@code table}, read from index {@code at} of {@code ring} or else of
     * {@code view} when one is not null. Kept small, with the indirect table and the failures in
     * methods of their own, so that the JIT inlines it into the kick.
     */
    private void walk(long table, byte[] ring, ByteBuffer view, int at, int entries, int first, boolean inIndirectTable) {
        int index = first;
        // a loop ends in the chain's own limit: no chain may be longer than the queue (virtio 1.1
        // §2.6.4.1), so DescriptorChain.add refuses the descriptor past it (no hop counter here,
        // which would make the walk a counted loop, with the JIT's machinery for long ones)
        for (;;) {
            long a;
            long lenFlagsNext;   // le32 len, le16 flags, le16 next: one read
            if (ring != null) {
                a = (long) LittleEndian.LONG.get(ring, at + DESC_SIZE * index);
                lenFlagsNext = (long) LittleEndian.LONG.get(ring, at + DESC_SIZE * index + 8);
            } else if (view != null) {
                a = view.getLong(at + DESC_SIZE * index);
                lenFlagsNext = view.getLong(at + DESC_SIZE * index + 8);
            } else {
                a = memory.getLong(table + (long) DESC_SIZE * index);
                lenFlagsNext = memory.getLong(table + (long) DESC_SIZE * index + 8);
            }
            int l = (int) lenFlagsNext;
            int flags = (int) (lenFlagsNext >>> 32) & 0xffff;
            if ((flags & Virtio.VRING_DESC_F_INDIRECT) != 0) {
                walkIndirect(index, a, l, flags, inIndirectTable);
                return;
            }
            chain.add(a, l, flags);
            if ((flags & Virtio.VRING_DESC_F_NEXT) == 0) {
                return;
            }
            int next = (int) (lenFlagsNext >>> 48);
            if (next >= entries) {
                throw malformed("next " + next + " of descriptor " + index + " is past the table of " + entries);
            }
            index = next;
        }
    }

    /** Descriptor {@code index} names an indirect table of {@code l} bytes at {@code a}: checks it and walks it. */
    private void walkIndirect(int index, long a, int l, int flags, boolean inIndirectTable) {
        if (!indirect) {
            throw malformed("descriptor " + index + " is INDIRECT but VIRTIO_F_RING_INDIRECT_DESC was not negotiated");
        }
        if (inIndirectTable) {
            throw malformed("nested indirect table at descriptor " + index);
        }
        if ((flags & Virtio.VRING_DESC_F_NEXT) != 0) {
            throw malformed("descriptor " + index + " has both INDIRECT and NEXT");
        }
        if (l == 0 || (l % DESC_SIZE) != 0 || Integer.toUnsignedLong(l) / DESC_SIZE > Virtio.MAX_QUEUE_SIZE
                || (a & 15) != 0) {
            throw malformed("indirect table of " + Integer.toUnsignedString(l) + " bytes at 0x" + Long.toHexString(a)
                    + " is malformed");
        }
        if (!memory.contains(a, l)) {
            throw new ErrnoException(Errno.EFAULT, "indirect table at 0x" + Long.toHexString(a) + " is outside guest memory");
        }
        walk(a, null, null, 0, l / DESC_SIZE, 0, true);
    }

    private static ErrnoException malformed(String what) {
        return new ErrnoException(Errno.EINVAL, what);
    }

    /**
     * Returns a chain to the driver through the used ring, with the bytes written into it; the
     * ring is reached as the pop that gave the chain found it (one check of the layout per pop, not
     * per access: the generation is a volatile read, which the JIT may not move other reads past).
     */
    public void push(DescriptorChain used, int written) {
        int slot = 4 + 8 * (usedIdx & (size - 1));
        int next = (usedIdx + 1) & 0xffff;
        byte[] r = ring;
        if (r != null) {
            LittleEndian.LONG.set(r, usedAt + slot, (long) written << 32 | Integer.toUnsignedLong(used.head()));
            LittleEndian.SHORT.set(r, usedAt + 2, (short) next);
        } else if (view != null) {
            view.putLong(usedAt + slot, (long) written << 32 | Integer.toUnsignedLong(used.head()));   // le32 id, le32 len
            view.putShort(usedAt + 2, (short) next);
        } else {
            memory.putInt(this.used + slot, used.head());
            memory.putInt(this.used + slot + 4, written);
            memory.putShort(this.used + 2, next);
        }
        usedIdx = next;
    }
}
