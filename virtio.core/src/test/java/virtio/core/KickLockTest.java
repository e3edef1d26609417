package virtio.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The biased kick lock: one holder at a time, whoever takes it and however. */
class KickLockTest {
    private final KickLock lock = new KickLock();
    private final AtomicInteger inside = new AtomicInteger();
    private final AtomicLong overlaps = new AtomicLong();
    /** Changed only inside the lock, without atomics: lost updates would show a missing exclusion. */
    private long plainCount;

    private void kick() {
        boolean biased = lock.enterBiased();
        if (!biased) {
            lock.lock();
        }
        try {
            critical();
        } finally {
            if (biased) {
                lock.leaveBiased();
            } else {
                lock.unlock(true);
            }
        }
    }

    private void critical() {
        if (inside.incrementAndGet() != 1) {
            overlaps.incrementAndGet();
        }
        plainCount++;
        inside.decrementAndGet();
    }

    @Test
    void theFirstKickerHoldsTheBiasAndAControlOperationGivesItBack() {
        assertThat(lock.enterBiased()).isTrue();
        lock.leaveBiased();
        lock.lock();   // a control operation of another thread (the owner's bias is suspended meanwhile)
        assertThat(lock.bias()).isEqualTo(KickLock.SUSPENDED);
        lock.unlock(false);
        assertThat(lock.bias()).isEqualTo(KickLock.BIASABLE);
        assertThat(lock.enterBiased()).isTrue();
        lock.leaveBiased();
    }

    @Test
    void twoKickingThreadsEndTheBiasAndNeverOverlap() throws Exception {
        int perThread = 500_000;
        Thread[] threads = new Thread[2];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                for (int i = 0; i < perThread; i++) {
                    kick();
                }
            });
        }
        for (Thread thread : threads) {
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(overlaps.get()).isZero();
        assertThat(plainCount).isEqualTo(2L * perThread);
        assertThat(lock.bias()).isEqualTo(KickLock.REVOKED);
    }

    @Test
    void controlOperationsExcludeTheBiasedOwner() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread owner = new Thread(() -> {
            while (!stop.get()) {
                kick();
            }
        });
        owner.start();
        try {
            for (int i = 0; i < 2_000; i++) {
                lock.lock();
                try {
                    critical();
                } finally {
                    lock.unlock(false);
                }
            }
        } finally {
            stop.set(true);
            owner.join();
        }
        assertThat(overlaps.get()).isZero();
        assertThat(lock.bias()).as("control operations give the bias back").isEqualTo(KickLock.BIASABLE);
    }
}
