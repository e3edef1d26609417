package virtio.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

import vfio.core.EveryThreadFence;

/**
 * A virtqueue's kick lock, biased to the thread that kicks the queue, as HotSpot's biased locking
 * was: a queue is usually kicked by one thread (a vCPU's, a vfio-user connection's), which then
 * enters and leaves with plain stores and no atomic.
 *
 * <p>The first kicker claims the bias (one compare-and-set of {@code owner}). The owner enters by
 * storing 1 in {@code busy}, then reads {@code bias}: while it is {@link #BIASABLE} the owner holds
 * the lock; it leaves by storing 0. Anyone else takes the spin lock {@code held} (one
 * compare-and-set) and then suspends the bias: it writes {@link #SUSPENDED} and, if an owner
 * exists, runs {@link EveryThreadFence} (Dekker's pattern with the fence on the rare side only,
 * as in vfio.core's InFlight), then waits until {@code busy} is 0. The owner, seeing the bias
 * suspended, leaves {@code busy} and takes {@code held} like anyone. On unlock a control
 * operation (queue setup, status) gives the bias back; another thread's kick ends it for good
 * ({@link #REVOKED}): a queue kicked from two threads costs one fence once, then one
 * compare-and-set per kick. Without {@link EveryThreadFence} (not HotSpot) there is no bias.
 */
final class KickLock {
    static final int BIASABLE = 0;
    static final int SUSPENDED = 1;
    static final int REVOKED = 2;
    private static final boolean BIASING = EveryThreadFence.available();
    private static final VarHandle HELD;
    private static final VarHandle OWNER;
    private static final VarHandle BUSY;

    static {
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            HELD = lookup.findVarHandle(KickLock.class, "held", int.class);
            OWNER = lookup.findVarHandle(KickLock.class, "owner", Thread.class);
            BUSY = lookup.findVarHandle(KickLock.class, "busy", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private volatile int held;
    private volatile Thread owner;
    /** 1 while the owner holds the lock through the bias; written by the owner only. */
    private volatile int busy;
    private volatile int bias = BIASING ? BIASABLE : REVOKED;

    /** Enters through the bias (true: leave with {@link #leaveBiased}); false: take {@link #lock} instead. */
    boolean enterBiased() {
        Thread me = Thread.currentThread();
        Thread o = (Thread) OWNER.get(this);   // plain: owner is set once, so seeing me is final
        if (o != me && (o != null || bias != BIASABLE || !OWNER.compareAndSet(this, null, me))) {
            return false;
        }
        BUSY.setOpaque(this, 1);
        VarHandle.releaseFence();   // compiler order only: the store stays before the read of bias
        if (bias == BIASABLE) {
            return true;
        }
        BUSY.setRelease(this, 0);
        return false;
    }

    void leaveBiased() {
        BUSY.setRelease(this, 0);
    }

    /** Takes the lock without the bias, suspending the bias while held. */
    void lock() {
        if (!HELD.compareAndSet(this, 0, 1)) {
            for (int spins = 0; !((int) HELD.getOpaque(this) == 0 && HELD.compareAndSet(this, 0, 1)); spins++) {
                backOff(spins);
            }
        }
        if (bias == BIASABLE) {
            bias = SUSPENDED;
            Thread o = owner;
            if (o != null && o != Thread.currentThread()) {
                EveryThreadFence.run();
            }
            for (int spins = 0; busy != 0; spins++) {
                backOff(spins);
            }
        }
    }

    /**
     * Releases the lock; {@code kick} says it was taken for a kick: a kicker with no owner yet
     * becomes the owner (its first kick met a control operation), another owner's bias ends.
     */
    void unlock(boolean kick) {
        if (bias == SUSPENDED) {
            if (kick) {
                Thread me = Thread.currentThread();
                // no one enters through the bias while it is suspended, so claiming it here is safe
                OWNER.compareAndSet(this, null, me);
                bias = owner == me ? BIASABLE : REVOKED;
            } else {
                bias = BIASABLE;
            }
        }
        HELD.setRelease(this, 0);
    }

    int bias() {
        return bias;
    }

    private static void backOff(int spins) {
        if (spins < 100) {
            Thread.onSpinWait();
        } else if (spins < 200) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(20_000);
        }
    }
}
