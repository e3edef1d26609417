package vfio.type1.internal;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The system-wide PASID space (the kernel's ioasid allocator): 20-bit ids, each owned by the
 * set that allocated it (a VM's {@link VfioMm}). PASID 0 is never handed out (VT-d keeps it
 * for requests without PASID).
 */
final class IoasidAllocator {
    static final int PASID_MAX = (1 << 20) - 1;

    private final BitSet used = new BitSet(PASID_MAX + 1);
    private final Map<Integer, Object> owners = new HashMap<>();

    /** ioasid_alloc(set, min, max): the lowest free id in {@code [min, max]}; ENOSPC if none. */
    synchronized int alloc(Object owner, long min, long max) {
        if (min > max) {
            throw new ErrnoException(Errno.EINVAL, "PASID range " + min + ".." + max + " is empty");
        }
        long from = Math.max(min, 1);
        long to = Math.min(max, PASID_MAX);
        if (from > to) {
            throw new ErrnoException(Errno.ENOSPC, "PASID range " + min + ".." + max + " is outside 1.." + PASID_MAX);
        }
        int id = used.nextClearBit((int) from);
        if (id > to) {
            throw new ErrnoException(Errno.ENOSPC, "no free PASID in " + from + ".." + to);
        }
        used.set(id);
        owners.put(id, owner);
        return id;
    }

    /**
     * ioasid_find then ioasid_free: ENOENT if {@code pasid} is not allocated, EACCES if another
     * set owns it; nothing changes then.
     */
    synchronized void free(Object owner, long pasid) {
        Object current = pasid >= 0 && pasid <= PASID_MAX ? owners.get((int) pasid) : null;
        if (current == null) {
            throw new ErrnoException(Errno.ENOENT, "PASID " + pasid + " is not allocated");
        }
        if (current != owner) {
            throw new ErrnoException(Errno.EACCES, "PASID " + pasid + " belongs to another VM");
        }
        owners.remove((int) pasid);
        used.clear((int) pasid);
    }

    synchronized Object owner(int pasid) {
        return owners.get(pasid);
    }

    synchronized Map<Integer, Object> snapshot() {
        return new java.util.TreeMap<>(owners);
    }
}
