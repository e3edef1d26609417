package vfio.type1.internal;

import java.util.List;
import java.util.function.Supplier;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.Vfio;
import vfio.core.VmAddressSpace;

/**
 * PASID tracking of one VM (seed 002's struct vfio_mm), shared by all containers of that VM
 * and counted by them: quota (default 1000), the PASIDs it holds, and their reclaim when its
 * last container goes.
 *
 * <p>Threads of one VM do not meet on a shared lock or counter: each works on a stripe picked by
 * its thread, which holds a share of the quota (a budget) and a small cache of ids the VM freed.
 * An alloc that finds both on its stripe takes one of each and sets the id's owner; a free gives
 * them back to its stripe. Everything else (no budget or no cached id in the range, quota
 * changes, usage, reclaim) takes the slow path under this object's monitor and every stripe.
 * The quota stays exact: {@code quota == held + pool + sum of the stripes' budgets} at all times
 * under the locks, and a stripe's budget can only be spent on an allocation.
 *
 * <p>Lock order: a container's IOMMU lock, then this monitor (the seed's pasid_lock), then the
 * stripes in index order, then the {@link IoasidAllocator}'s monitor. A fast path takes its
 * stripe alone (then maybe the allocator's). No lock of this VM is held while another VM's cache
 * is flushed.
 */
final class VfioMm {
    private static final int STRIPES = 8;
    /** Ids a stripe keeps for reuse; past it, half go back to the system-wide space. */
    private static final int CACHE = 16;
    /** Quota handed to a stripe at a time. */
    private static final int BUDGET_BATCH = 8;

    /** One thread's share; padded so that two stripes' hot fields share no cache line. */
    private static final class Stripe {
        long p0, p1, p2, p3, p4, p5, p6, p7;
        int budget;
        int count;
        /** Cached ids at {@code [PAD, PAD + count)}; the pad keeps neighbouring arrays apart. */
        final int[] ids = new int[PAD + CACHE + PAD];
        long q0, q1, q2, q3, q4, q5, q6, q7;

        private static final int PAD = 16;

        /** Takes a cached id in {@code [from, to]}; -1 if none. */
        int take(int from, int to) {
            for (int i = PAD + count - 1; i >= PAD; i--) {
                int id = ids[i];
                if (id >= from && id <= to) {
                    ids[i] = ids[PAD + --count];
                    return id;
                }
            }
            return -1;
        }

        void push(int id) {
            ids[PAD + count++] = id;
        }
    }

    final VmAddressSpace vm;
    private final IoasidAllocator allocator;
    private final Stripe[] stripes = new Stripe[STRIPES];
    /** Guarded by this and all stripes. */
    private int quota = Vfio.VFIO_DEFAULT_PASID_QUOTA;
    /** Quota not handed to any stripe; guarded by this and all stripes. */
    private int pool = quota;
    /** Containers holding this; guarded by the registry. */
    int refs;

    VfioMm(VmAddressSpace vm, IoasidAllocator allocator) {
        this.vm = vm;
        this.allocator = allocator;
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new Stripe();
        }
        allocator.register(this);
    }

    @SuppressWarnings("deprecation")   // Thread.threadId() is Java 19
    private Stripe stripe() {
        return stripes[(int) Thread.currentThread().getId() & (STRIPES - 1)];
    }

    /** vfio_mm_pasid_alloc: ENOSPC past quota or when the range has no free id. */
    int alloc(long min, long max) {
        int[] range = IoasidAllocator.range(min, max);
        Stripe stripe = stripe();
        synchronized (stripe) {
            if (stripe.budget > 0) {
                int id = stripe.take(range[0], range[1]);
                if (id > 0) {
                    stripe.budget--;
                    allocator.setOwner(id, this);
                    return id;
                }
            }
        }
        return allocSlow(range[0], range[1], stripe);
    }

    private int allocSlow(int from, int to, Stripe mine) {
        for (boolean flushed = false;; flushed = true) {
            int id = locked(() -> {
                if (pool == 0) {
                    collectBudgets();
                    if (pool == 0) {
                        throw new ErrnoException(Errno.ENOSPC, vm + " holds " + quota + " PASIDs, its quota");
                    }
                }
                int got = -1;
                for (int i = 0; i < STRIPES && got < 0; i++) {
                    got = stripes[i].take(from, to);
                }
                if (got > 0) {
                    allocator.setOwner(got, this);
                } else {
                    got = allocator.alloc(this, from, to);
                }
                if (got > 0) {
                    pool--;
                    int grant = Math.min(pool, BUDGET_BATCH);
                    mine.budget += grant;
                    pool -= grant;
                }
                return got;
            });
            if (id > 0) {
                return id;
            }
            if (flushed) {
                throw new ErrnoException(Errno.ENOSPC, "no free PASID in " + from + ".." + to);
            }
            allocator.flushCaches();   // ids other VMs keep for reuse may be what the range needs
        }
    }

    /** vfio_mm_pasid_free: only a PASID this VM owns (ENOENT if nobody does, EACCES if another VM); otherwise nothing changes. */
    void free(long pasid) {
        if (!IoasidAllocator.valid(pasid)) {
            throw new ErrnoException(Errno.ENOENT, "PASID " + pasid + " is not allocated");
        }
        int id = (int) pasid;
        Stripe stripe = stripe();
        synchronized (stripe) {
            if (!allocator.compareAndSetOwner(id, this, IoasidAllocator.CACHED)) {
                Object owner = allocator.owner(id);
                boolean other = owner != null && owner != this;
                throw new ErrnoException(other ? Errno.EACCES : Errno.ENOENT, "PASID " + pasid
                        + (other ? " belongs to another VM" : " is not allocated"));
            }
            if (stripe.count == CACHE) {
                int keep = CACHE / 2;
                allocator.release(stripe.ids, Stripe.PAD + keep, Stripe.PAD + CACHE);
                stripe.count = keep;
            }
            stripe.push(id);
            stripe.budget++;
        }
    }

    /** VFIO_IOMMU_SET_PASID_QUOTA: EINVAL below the PASIDs held now. */
    int setQuota(long newQuota) {
        return locked(() -> {
            collectBudgets();
            int held = quota - pool;
            if (newQuota > Integer.MAX_VALUE || newQuota < held) {
                throw new ErrnoException(Errno.EINVAL, "quota " + newQuota + " is below the " + held
                        + " PASIDs " + vm + " holds");
            }
            quota = (int) newQuota;
            pool = quota - held;
            return quota;
        });
    }

    /** Whether this VM holds {@code pasid}; takes no lock. */
    boolean owns(int pasid) {
        return IoasidAllocator.valid(pasid) && allocator.slotOwner(pasid) == this;
    }

    /** The PASIDs this VM holds, lowest first. */
    List<Integer> pasids() {
        return allocator.ownedBy(this);
    }

    /** {held, quota}. */
    int[] usage() {
        return locked(() -> {
            int budgets = 0;
            for (Stripe stripe : stripes) {
                budgets += stripe.budget;
            }
            return new int[] { quota - pool - budgets, quota };
        });
    }

    /** Gives the ids kept for reuse back to the system-wide space. */
    void flushCache() {
        locked(() -> {
            releaseCaches();
            return null;
        });
    }

    /** Under all locks. */
    private void releaseCaches() {
        for (Stripe stripe : stripes) {
            allocator.release(stripe.ids, Stripe.PAD, Stripe.PAD + stripe.count);
            stripe.count = 0;
        }
    }

    /** Frees every PASID (vfio_mm_reclaim_pasid) and the cache, in one step; returns the PASIDs freed. */
    List<Integer> reclaim() {
        allocator.unregister(this);
        return locked(() -> {
            releaseCaches();
            List<Integer> held = allocator.ownedBy(this);
            int[] ids = held.stream().mapToInt(Integer::intValue).toArray();
            allocator.release(ids, 0, ids.length);
            collectBudgets();
            pool = quota;
            return held;
        });
    }

    /** Moves every stripe's budget to the pool; under all locks. */
    private void collectBudgets() {
        for (Stripe stripe : stripes) {
            pool += stripe.budget;
            stripe.budget = 0;
        }
    }

    /** Runs {@code body} under this monitor and every stripe, in the documented order. */
    private <T> T locked(Supplier<T> body) {
        synchronized (this) {
            return lockStripes(0, body);
        }
    }

    private <T> T lockStripes(int from, Supplier<T> body) {
        if (from == STRIPES) {
            return body.get();
        }
        synchronized (stripes[from]) {
            return lockStripes(from + 1, body);
        }
    }
}
