package vfio.core;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The device guard of the I/O path, in the spirit of the kernel's SRCU: a call costs one
 * uncontended atomic, on a cache line that threads on other stripes do not touch.
 *
 * <p>A call enters by taking a free stripe (a compare-and-set of its busy word from 0 to 1,
 * starting at the one its thread hashes to, so a thread keeps finding its own), then checks
 * {@code closing}; it exits by storing 0 back with release semantics, which is a plain store on
 * x86. While a thread holds a stripe nobody else writes it, so the per-kind call counters next
 * to the busy word (the device's read/write/ioctl statistics) are bumped with plain stores. A
 * call that finds every stripe busy (more threads inside than stripes, say vendors blocking)
 * counts itself on the shared overflow counters instead, with two atomics.
 *
 * <p>Why it is safe: the compare-and-set is a full fence, so a call's claim comes before its read
 * of {@code closing}; {@link #close} writes {@code closing} (volatile) before it reads the busy
 * words. Either the call sees {@code closing} (and leaves without running) or close sees it
 * inside and waits for its release store, after which everything the call did is visible.
 * After close returns no call is in flight and every later one is refused.
 */
final class InFlight {
    static final int READ = 1;
    static final int WRITE = 2;
    static final int IOCTL = 3;
    static final int OTHER = 4;
    /** A stripe's busy word: 1 while a call holds the stripe. */
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

    private final AtomicLongArray cells = new AtomicLongArray((STRIPES + 1) * STRIDE);
    private volatile boolean closing;

    /** Enters a call of {@code kind}; returns the ticket for {@link #exit}, or -1 (nothing entered) once closing. */
    int enter(int kind) {
        int home = stripe();
        for (int probe = 0; probe < STRIPES; probe++) {
            int base = ((home + probe) & (STRIPES - 1)) * STRIDE;
            if (cells.getPlain(base + BUSY) == 0 && cells.compareAndSet(base + BUSY, 0, 1)) {
                if (closing) {
                    cells.setRelease(base + BUSY, 0);
                    return -1;
                }
                cells.setPlain(base + kind, cells.getPlain(base + kind) + 1);
                return base / STRIDE;
            }
        }
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

    private static int stripe() {
        return (int) (Thread.currentThread().getId() * 0x9E3779B97F4A7C15L >>> 32) >>> SHIFT;
    }
}
