package vfio.type1.internal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The system-wide PASID space (the kernel's ioasid allocator): 20-bit ids, each owned by the
 * set that allocated it (a VM's {@link VfioMm}). PASID 0 is never handed out (VT-d keeps it
 * for requests without PASID).
 *
 * <p>A new id is the lowest free one in the range asked for, under this object's monitor (the
 * last lock in {@link VfioMm}'s order). Owners are kept outside it, one slot per id, read without
 * a lock: {@link VfioMm} hands ids its VM freed back to the same VM from per-thread caches, and
 * such an id stays taken here with the owner {@link #CACHED} (allocated to nobody) until a
 * cache gives it back ({@link #release}), which every cache does when an allocation anywhere
 * finds its range full ({@link #flushCaches}).
 */
final class IoasidAllocator {
    static final int PASID_MAX = (1 << 20) - 1;
    /** The owner of an id a VM freed and keeps in a cache. */
    static final Object CACHED = new Object() {
        @Override
        public String toString() {
            return "cached";
        }
    };

    private static final int CHUNK_BITS = 12;
    private static final int CHUNK_SIZE = 1 << CHUNK_BITS;

    /** Ids taken (allocated or cached); guarded by this. */
    private final BitSet used = new BitSet(PASID_MAX + 1);
    /**
     * Owner slots in chunks of 4096 ids, made on first use. Within a chunk neighbouring ids are
     * 256 slots apart ({@link #slot}), so threads allocating 1 and 2 write different cache lines.
     */
    private final AtomicReferenceArray<AtomicReferenceArray<Object>> chunks =
            new AtomicReferenceArray<>((PASID_MAX + 1) >> CHUNK_BITS);
    private final Set<VfioMm> caches = ConcurrentHashMap.newKeySet();

    private static int slot(int pasid) {
        int low = pasid & (CHUNK_SIZE - 1);
        return (low & 15) << 8 | low >>> 4;
    }

    private AtomicReferenceArray<Object> chunk(int pasid) {
        int index = pasid >>> CHUNK_BITS;
        AtomicReferenceArray<Object> chunk = chunks.get(index);
        if (chunk == null) {
            chunks.compareAndSet(index, null, new AtomicReferenceArray<>(CHUNK_SIZE));
            chunk = chunks.get(index);
        }
        return chunk;
    }

    /** The range of ioasid_alloc(set, min, max) as ids: EINVAL if empty, ENOSPC if outside 1..PASID_MAX. */
    static int[] range(long min, long max) {
        if (min > max) {
            throw new ErrnoException(Errno.EINVAL, "PASID range " + min + ".." + max + " is empty");
        }
        long from = Math.max(min, 1);
        long to = Math.min(max, PASID_MAX);
        if (from > to) {
            throw new ErrnoException(Errno.ENOSPC, "PASID range " + min + ".." + max + " is outside 1.." + PASID_MAX);
        }
        return new int[] { (int) from, (int) to };
    }

    static boolean valid(long pasid) {
        return pasid >= 1 && pasid <= PASID_MAX;
    }

    /** The lowest free id in {@code [from, to]}, now owned by {@code owner}; -1 if there is none. */
    synchronized int alloc(Object owner, int from, int to) {
        int id = used.nextClearBit(from);
        if (id > to) {
            return -1;
        }
        used.set(id);
        chunk(id).set(slot(id), owner);
        return id;
    }

    /** Gives {@code ids[from, to)} back to the free space (a cache's, or a reclaimed VM's). */
    synchronized void release(int[] ids, int from, int to) {
        for (int i = from; i < to; i++) {
            chunk(ids[i]).set(slot(ids[i]), null);
            used.clear(ids[i]);
        }
    }

    /** The raw owner of an id: null if free, {@link #CACHED}, or its VM's {@link VfioMm}. */
    Object slotOwner(int pasid) {
        AtomicReferenceArray<Object> chunk = chunks.get(pasid >>> CHUNK_BITS);
        return chunk == null ? null : chunk.get(slot(pasid));
    }

    /** Sets the owner of an id the caller holds (in its cache, or allocated to it). */
    void setOwner(int pasid, Object owner) {
        chunk(pasid).set(slot(pasid), owner);
    }

    boolean compareAndSetOwner(int pasid, Object expected, Object owner) {
        AtomicReferenceArray<Object> chunk = chunks.get(pasid >>> CHUNK_BITS);
        return chunk != null && chunk.compareAndSet(slot(pasid), expected, owner);
    }

    /** The VM an id is allocated to, or null (free, or in a cache). */
    Object owner(int pasid) {
        Object owner = valid(pasid) ? slotOwner(pasid) : null;
        return owner == CACHED ? null : owner;
    }

    /** The ids allocated to {@code owner}, lowest first. */
    List<Integer> ownedBy(Object owner) {
        List<Integer> ids = new ArrayList<>();
        forEachOwner((id, o) -> {
            if (o == owner) {
                ids.add(id);
            }
        });
        return ids;
    }

    /** Every allocated id with its owner, lowest first. */
    Map<Integer, Object> snapshot() {
        Map<Integer, Object> owners = new TreeMap<>();
        forEachOwner(owners::put);
        return owners;
    }

    private void forEachOwner(java.util.function.BiConsumer<Integer, Object> action) {
        for (int c = 0; c < chunks.length(); c++) {
            AtomicReferenceArray<Object> chunk = chunks.get(c);
            if (chunk == null) {
                continue;
            }
            for (int low = 0; low < CHUNK_SIZE; low++) {
                int id = c << CHUNK_BITS | low;
                Object owner = chunk.get(slot(id));
                if (owner != null && owner != CACHED) {
                    action.accept(id, owner);
                }
            }
        }
    }

    void register(VfioMm cache) {
        caches.add(cache);
    }

    void unregister(VfioMm cache) {
        caches.remove(cache);
    }

    /**
     * Every VM's cached ids back to the free space. Called with no VM's locks held (each cache is
     * flushed under its own), so two VMs flushing at once do not wait for each other.
     */
    void flushCaches() {
        for (VfioMm cache : caches) {
            cache.flushCache();
        }
    }
}
