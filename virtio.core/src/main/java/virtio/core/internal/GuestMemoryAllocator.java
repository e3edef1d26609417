package virtio.core.internal;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/** Hands out aligned ranges of one guest memory region, never taking them back (the bus resets by starting over). */
final class GuestMemoryAllocator {
    private final long end;
    private long next;

    GuestMemoryAllocator(VmAddressSpace memory, long base, long size) {
        memory.allocate(base, size);
        this.next = base;
        this.end = base + size;
    }

    synchronized long allocate(long size, long align) {
        long at = (next + align - 1) & -align;
        if (at + size > end) {
            throw new ErrnoException(Errno.ENOMEM, "guest memory for virtqueues is used up");
        }
        next = at + size;
        return at;
    }
}
