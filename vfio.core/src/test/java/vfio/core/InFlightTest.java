package vfio.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** The I/O guard: after close returns nothing is inside and nothing gets in, however many threads. */
class InFlightTest {
    @Test
    void afterCloseNoCallIsInsideAndEveryLaterOneIsRefused() throws Exception {
        for (int round = 0; round < 200; round++) {
            InFlight guard = new InFlight();
            AtomicInteger inside = new AtomicInteger();
            AtomicBoolean closed = new AtomicBoolean();
            AtomicLong violations = new AtomicLong();
            AtomicLong calls = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread thread = new Thread(() -> {
                    while (true) {
                        int ticket = guard.enter(InFlight.READ);
                        if (ticket < 0) {
                            return;
                        }
                        inside.incrementAndGet();
                        if (closed.get()) {
                            violations.incrementAndGet();   // inside after close returned
                        }
                        calls.incrementAndGet();
                        inside.decrementAndGet();
                        guard.exit(ticket);
                    }
                });
                thread.start();
                threads.add(thread);
            }
            while (calls.get() < 1000) {
                Thread.onSpinWait();
            }
            assertThat(guard.close()).isTrue();
            closed.set(true);
            assertThat(inside.get()).as("calls inside once close returned").isZero();
            for (Thread thread : threads) {
                thread.join(10_000);
                assertThat(thread.isAlive()).isFalse();
            }
            assertThat(violations.get()).isZero();
            assertThat(guard.enter(InFlight.WRITE)).isEqualTo(-1);
            assertThat(guard.close()).as("closing twice").isFalse();
            assertThat(guard.count(InFlight.READ)).isGreaterThanOrEqualTo(calls.get());
        }
    }

    @Test
    void moreCallsInsideThanStripesOverflowAndCloseWaitsForAll() throws Exception {
        InFlight guard = new InFlight();
        // a thread inside one call may enter another (a vendor calling back): it finds another stripe
        int outer = guard.enter(InFlight.READ);
        int nested = guard.enter(InFlight.READ);
        assertThat(nested).isNotEqualTo(outer);
        guard.exit(nested);
        guard.exit(outer);
        int held = 200;   // more than the stripes (at most 64): the rest go to the overflow counters
        CountDownLatch entered = new CountDownLatch(held);
        CountDownLatch leave = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < held; t++) {
            Thread thread = new Thread(() -> {
                int ticket = guard.enter(InFlight.IOCTL);
                entered.countDown();
                try {
                    leave.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                guard.exit(ticket);
            });
            thread.start();
            threads.add(thread);
        }
        assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(guard.count(InFlight.IOCTL)).isEqualTo(held);
        assertThat(guard.count(InFlight.READ)).isEqualTo(2);
        Thread closer = new Thread(guard::close);
        closer.start();
        closer.join(200);
        assertThat(closer.isAlive()).as("close waits while calls are inside").isTrue();
        leave.countDown();
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        assertThat(guard.enter(InFlight.READ)).isEqualTo(-1);
    }
}
