package vendor.gvt.internal;

import java.util.Map;
import java.util.TreeMap;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * A range of graphics memory handed out in contiguous, page-aligned pieces (the drm_mm node a
 * vGPU's GM is in the kernel). First fit; freed pieces merge with their free neighbours, so
 * what removals give back can be taken again in one piece when it is contiguous. Not
 * thread-safe: the GPU serialises it.
 */
final class GmAllocator {
    static final long PAGE = 4096;

    private final long start;
    private final long end;
    /** Free ranges: start -> end (exclusive), never adjacent. */
    private final TreeMap<Long, Long> free = new TreeMap<>();
    private long used;

    GmAllocator(long start, long end) {
        this.start = start;
        this.end = end;
        if (end > start) {
            free.put(start, end);
        }
    }

    long total() {
        return end - start;
    }

    long used() {
        return used;
    }

    /** The base of a free piece of {@code size}; ENOSPC when no free range is large enough. */
    long allocate(long size) {
        if (size <= 0 || size % PAGE != 0) {
            throw new ErrnoException(Errno.EINVAL, "GM size " + size + " is not a positive number of pages");
        }
        for (Map.Entry<Long, Long> range : free.entrySet()) {
            long s = range.getKey();
            long e = range.getValue();
            if (e - s >= size) {
                free.remove(s);
                if (e - s > size) {
                    free.put(s + size, e);
                }
                used += size;
                return s;
            }
        }
        throw new ErrnoException(Errno.ENOSPC, "no contiguous " + (size >> 20) + " MB of GM left ("
                + ((total() - used) >> 20) + " MB free in " + free.size() + " piece(s))");
    }

    void release(long base, long size) {
        long s = base;
        long e = base + size;
        Map.Entry<Long, Long> before = free.floorEntry(s);
        if (before != null && before.getValue() == s) {
            s = before.getKey();
            free.remove(before.getKey());
        }
        Long after = free.get(e);
        if (after != null) {
            free.remove(e);
            e = after;
        }
        free.put(s, e);
        used -= size;
    }

    int freePieces() {
        return free.size();
    }
}
