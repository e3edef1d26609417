package vfio.core;

import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The device guard of the I/O path, in the spirit of the kernel's SRCU: on a JVM that can fence
 * every thread at once (HotSpot), a call makes no atomic at all, and no thread writes a cache
 * line another thread's calls touch.
 *
 * <p>A thread owns a stripe of the guard: the first call of a thread claims a free one (a
 * compare-and-set of its owner, starting at the stripe its thread hashes to, so it is usually
 * found there again), and only the owner ever writes the stripe's busy word and call counters.
 * A call enters by storing 1 in its busy word, then reads {@code closing}; it exits by storing 0
 * with release semantics (a plain store on x86). A nested call of the same thread (a vendor
 * calling back), and threads that find every stripe owned by live threads, count themselves on
 * the shared overflow counters instead, with two atomics. A dead owner's stripe is taken over.
 *
 * <p>Why it is safe: a call's store comes before its read of {@code closing}, and {@link #close}
 * writes {@code closing} before it reads the busy words. That is Dekker's pattern, which needs a
 * store-load fence on both sides. The closer's side takes the expensive one for everybody, as
 * Linux's membarrier(2) and SRCU's grace period do: after writing {@code closing} it runs a VM
 * operation that brings every Java thread to a safepoint (a thread dump of depth 0, about 80 us),
 * and a thread that stops there, or is in native or blocked code, has made its stores visible.
 * A call's thread was then either before its store (it reads {@code closing} as true afterwards)
 * or after its read (its busy word shows). In the call, a release fence between the store and the
 * read keeps the compiler from swapping them (it emits no instruction on x86). This relies on
 * HotSpot, not on the Java memory model: on another VM, or with {@code -Dvfio.guard.fence=volatile},
 * the store is a volatile one instead (one locked instruction on x86), which the memory model
 * alone makes safe with the volatile read of {@code closing}.
 *
 * <p>After close returns no call is in flight and every later one is refused.
 */
final class InFlight {
    static final int READ = 1;
    static final int WRITE = 2;
    static final int IOCTL = 3;
    static final int OTHER = 4;
    /** A stripe's busy word: 1 while its owner is in a call. */
    private static final int BUSY = 0;
    /** 16 longs = 128 bytes between stripes: no two stripes share a cache line or its prefetch pair. */
    private static final int STRIDE = 16;
    private static final int STRIPES = Math.min(64,
            Integer.highestOneBit(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()) - 1) << 1);
    private static final int SHIFT = 32 - Integer.numberOfTrailingZeros(STRIPES);
    /** The ticket of a call counted on the overflow counters. */
    private static final int OVERFLOW = STRIPES;
    /** Overflow cells after the stripes: entries by kind at OVERFLOW * STRIDE + kind, exits at + EXITS. */
    private static final int EXITS = 8;
    /** Whether guards fence every thread on close (then calls enter with a plain store), see the class comment. */
    static final boolean ASYMMETRIC = EveryThreadFence.available()
            && !"volatile".equals(System.getProperty("vfio.guard.fence"));

    private final AtomicLongArray cells = new AtomicLongArray((STRIPES + 1) * STRIDE);
    /** Each stripe's owning thread; read by every call, written once per thread (read-mostly, not padded). */
    private final AtomicReferenceArray<Thread> owners = new AtomicReferenceArray<>(STRIPES);
    private final boolean asymmetric;
    private volatile boolean closing;

    InFlight() {
        this(ASYMMETRIC);
    }

    /** A guard whose calls enter with a plain store ({@code asymmetric}, if available) or a volatile one. */
    InFlight(boolean asymmetric) {
        this.asymmetric = asymmetric && EveryThreadFence.available();
    }

    /** Enters a call of {@code kind}; returns the ticket for {@link #exit}, or -1 (nothing entered) once closing. */
    int enter(int kind) {
        Thread me = Thread.currentThread();
        int home = stripe(me);
        if (owners.getPlain(home) == me && cells.getPlain(home * STRIDE + BUSY) == 0) {
            return enterOwned(home, kind);
        }
        return enterElsewhere(me, home, kind);
    }

    /** The calling thread owns {@code stripe}, and is not in a call on it. */
    private int enterOwned(int stripe, int kind) {
        int base = stripe * STRIDE;
        if (asymmetric) {
            cells.setOpaque(base + BUSY, 1);
            VarHandle.releaseFence();   // compiler order only: the store stays before the read of closing
        } else {
            cells.set(base + BUSY, 1);   // volatile: a store-load fence of its own
        }
        if (closing) {
            cells.setRelease(base + BUSY, 0);
            return -1;
        }
        cells.setPlain(base + kind, cells.getPlain(base + kind) + 1);
        return stripe;
    }

    /** A thread's first call, a nested one, or one whose home stripe another thread owns. */
    private int enterElsewhere(Thread me, int home, int kind) {
        for (int probe = 0; probe < STRIPES; probe++) {
            int stripe = (home + probe) & (STRIPES - 1);
            if (owners.getPlain(stripe) == me) {
                // nested: this thread's stripe is in use by its outer call
                return cells.getPlain(stripe * STRIDE + BUSY) == 0 ? enterOwned(stripe, kind) : enterOverflow(kind);
            }
        }
        for (int probe = 0; probe < STRIPES; probe++) {
            int stripe = (home + probe) & (STRIPES - 1);
            Thread owner = owners.get(stripe);
            if ((owner == null || !owner.isAlive()) && owners.compareAndSet(stripe, owner, me)) {
                return enterOwned(stripe, kind);   // a dead owner left its stripe idle: it exited every call
            }
        }
        return enterOverflow(kind);
    }

    /** Counts a call on the shared overflow counters (two atomics, on a line every overflowing thread writes). */
    private int enterOverflow(int kind) {
        int base = OVERFLOW * STRIDE;
        cells.getAndIncrement(base + kind);
        if (closing) {
            cells.getAndIncrement(base + EXITS);
            return -1;
        }
        return OVERFLOW;
    }

    void exit(int ticket) {
        if (ticket == OVERFLOW) {
            cells.getAndIncrement(OVERFLOW * STRIDE + EXITS);
        } else {
            cells.setRelease(ticket * STRIDE + BUSY, 0);
        }
    }

    boolean isClosing() {
        return closing;
    }

    /** Refuses every later call and waits for those in flight; returns false if it was closing already. */
    boolean close() {
        boolean first = !closing;
        closing = true;
        if (asymmetric) {
            EveryThreadFence.run();
        }
        int spins = 0;
        while (inside()) {
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(50_000);
            }
        }
        return first;
    }

    /** Whether a call is inside: a busy stripe, or overflow entries without their exits (exits read first). */
    private boolean inside() {
        for (int s = 0; s < STRIPES; s++) {
            if (cells.get(s * STRIDE + BUSY) != 0) {
                return true;
            }
        }
        int base = OVERFLOW * STRIDE;
        long exits = cells.get(base + EXITS);
        long entries = cells.get(base + READ) + cells.get(base + WRITE) + cells.get(base + IOCTL) + cells.get(base + OTHER);
        return entries != exits;
    }

    /** Calls of {@code kind} so far that were let in (or, on the overflow path, also those refused once closing). */
    long count(int kind) {
        long n = 0;
        for (int s = 0; s <= STRIPES; s++) {
            n += cells.getOpaque(s * STRIDE + kind);
        }
        return n;
    }

    /** The overflow ticket; stripes' tickets are below it. */
    static int overflowTicket() {
        return OVERFLOW;
    }

    private static int stripe(Thread thread) {
        return (int) (thread.getId() * 0x9E3779B97F4A7C15L >>> 32) >>> SHIFT;
    }
}
