package vfio.core;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The device guard of the I/O path, in the spirit of the kernel's SRCU: a call enters by adding
 * one to a counter of its thread's stripe (one uncontended atomic, on a cache line threads on
 * other stripes do not touch), then checks {@code closing}; it exits by adding one to its
 * stripe's exit counter. {@link #close} sets {@code closing} and waits until every entry has its
 * exit: after it returns no call is in flight and every later one is refused.
 *
 * <p>Why it is safe: an entry's increment comes before its read of {@code closing}, and
 * {@link #close} writes {@code closing} before it reads the counters; all are volatile, so either
 * the call sees {@code closing} (and leaves without running) or close sees its entry. Close
 * reads the exits of all stripes first and the entries after: counters only grow and an exit
 * follows its entry, so equal sums mean no counted entry is still inside.
 *
 * <p>The entry counters are kept per kind of call (read, write, ioctl, other), which makes them
 * the device's I/O statistics too, at no further cost.
 */
final class InFlight {
    static final int READ = 0;
    static final int WRITE = 1;
    static final int IOCTL = 2;
    static final int OTHER = 3;
    private static final int EXIT = 4;
    /** 16 longs = 128 bytes between stripes: no two stripes share a cache line or its prefetch pair. */
    private static final int STRIDE = 16;
    private static final int STRIPES = Math.min(64,
            Integer.highestOneBit(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()) - 1) << 1);
    private static final int SHIFT = 32 - Integer.numberOfTrailingZeros(STRIPES);

    private final AtomicLongArray cells = new AtomicLongArray(STRIPES * STRIDE);
    private volatile boolean closing;

    /** Enters a call of {@code kind}; returns the ticket for {@link #exit}, or -1 (nothing entered) once closing. */
    int enter(int kind) {
        int stripe = stripe();
        cells.getAndIncrement(stripe * STRIDE + kind);
        if (closing) {
            cells.getAndIncrement(stripe * STRIDE + EXIT);
            return -1;
        }
        return stripe;
    }

    void exit(int ticket) {
        cells.getAndIncrement(ticket * STRIDE + EXIT);
    }

    boolean isClosing() {
        return closing;
    }

    /** Refuses every later call and waits for those in flight; returns false if it was closing already. */
    boolean close() {
        boolean first = !closing;
        closing = true;
        int spins = 0;
        while (inside() != 0) {
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(50_000);
            }
        }
        return first;
    }

    private long inside() {
        long exits = 0;
        for (int s = 0; s < STRIPES; s++) {
            exits += cells.get(s * STRIDE + EXIT);
        }
        long entries = 0;
        for (int s = 0; s < STRIPES; s++) {
            int base = s * STRIDE;
            entries += cells.get(base + READ) + cells.get(base + WRITE) + cells.get(base + IOCTL) + cells.get(base + OTHER);
        }
        return entries - exits;
    }

    /** Calls of {@code kind} so far (those refused once closing included). */
    long count(int kind) {
        long n = 0;
        for (int s = 0; s < STRIPES; s++) {
            n += cells.get(s * STRIDE + kind);
        }
        return n;
    }

    private static int stripe() {
        return (int) (Thread.currentThread().getId() * 0x9E3779B97F4A7C15L >>> 32) >>> SHIFT;
    }
}
