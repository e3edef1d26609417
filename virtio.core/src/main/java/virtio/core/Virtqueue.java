package virtio.core;

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
 * chain longer than the queue (a loop), an indirect table that is empty, not a multiple of 16
 * bytes, nested or combined with NEXT, a readable descriptor after a writable one, or an
 * available index more than a queue ahead answer EINVAL; memory outside the guest's EFAULT.
 * Indices are 16-bit and wrap. Not thread-safe: the device serialises each queue.
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
    private int usedIdx;

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
        this.usedIdx = memory.getShort(used + 2);
        this.lastAvail = usedIdx;
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
    }

    /** Whether the driver has made chains available that the device has not popped. */
    public boolean hasAvailable() {
        return memory.getShort(avail + 2) != lastAvail;
    }

    /**
     * Pops the next available chain; null when there is none. The returned chain is reused by
     * the next pop.
     */
    public DescriptorChain pop() {
        int availIdx = memory.getShort(avail + 2);
        int pending = (availIdx - lastAvail) & 0xffff;
        if (pending == 0) {
            return null;
        }
        if (pending > size) {
            throw new ErrnoException(Errno.EINVAL, "available index " + availIdx + " is " + pending
                    + " ahead of " + lastAvail + " on a queue of " + size);
        }
        int head = memory.getShort(avail + 4 + 2L * (lastAvail & (size - 1)));
        lastAvail = (lastAvail + 1) & 0xffff;
        if (head >= size) {
            throw new ErrnoException(Errno.EINVAL, "available head " + head + " is past the table of " + size);
        }
        chain.reset(memory, head);
        walk(desc, size, head, false);
        return chain;
    }

    private void walk(long table, int entries, int first, boolean inIndirectTable) {
        int index = first;
        for (int hops = 0;; hops++) {
            if (hops >= entries) {
                throw new ErrnoException(Errno.EINVAL, "descriptor chain from " + first + " loops");
            }
            long d = table + (long) DESC_SIZE * index;
            long a = memory.getLong(d);
            int l = memory.getInt(d + 8);
            int flags = memory.getShort(d + 12);
            int next = memory.getShort(d + 14);
            if ((flags & Virtio.VRING_DESC_F_INDIRECT) != 0) {
                if (!indirect) {
                    throw new ErrnoException(Errno.EINVAL, "descriptor " + index
                            + " is INDIRECT but VIRTIO_F_RING_INDIRECT_DESC was not negotiated");
                }
                if (inIndirectTable) {
                    throw new ErrnoException(Errno.EINVAL, "nested indirect table at descriptor " + index);
                }
                if ((flags & Virtio.VRING_DESC_F_NEXT) != 0) {
                    throw new ErrnoException(Errno.EINVAL, "descriptor " + index + " has both INDIRECT and NEXT");
                }
                if (l == 0 || (l % DESC_SIZE) != 0 || Integer.toUnsignedLong(l) / DESC_SIZE > Virtio.MAX_QUEUE_SIZE
                        || (a & 15) != 0) {
                    throw new ErrnoException(Errno.EINVAL, "indirect table of " + Integer.toUnsignedString(l)
                            + " bytes at 0x" + Long.toHexString(a) + " is malformed");
                }
                if (!memory.contains(a, l)) {
                    throw new ErrnoException(Errno.EFAULT, "indirect table at 0x" + Long.toHexString(a)
                            + " is outside guest memory");
                }
                walk(a, l / DESC_SIZE, 0, true);
                return;
            }
            chain.add(a, l, (flags & Virtio.VRING_DESC_F_WRITE) != 0);
            if ((flags & Virtio.VRING_DESC_F_NEXT) == 0) {
                return;
            }
            if (next >= entries) {
                throw new ErrnoException(Errno.EINVAL, "next " + next + " of descriptor " + index + " is past the table of "
                        + entries);
            }
            index = next;
        }
    }

    /** Returns a chain to the driver through the used ring, with the bytes written into it. */
    public void push(DescriptorChain used, int written) {
        long slot = this.used + 4 + 8L * (usedIdx & (size - 1));
        memory.putInt(slot, used.head());
        memory.putInt(slot + 4, written);
        usedIdx = (usedIdx + 1) & 0xffff;
        memory.putShort(this.used + 2, usedIdx);
    }
}
