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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The I/O guard: after close returns nothing is inside and nothing gets in, however many threads. */
class InFlightTest {
    /** Calls entering with a plain store (the closer fences every thread) and with a volatile one. */
    @ParameterizedTest(name = "asymmetric={0}")
    @ValueSource(booleans = {true, false})
    void afterCloseNoCallIsInsideAndEveryLaterOneIsRefused(boolean asymmetric) throws Exception {
        for (int round = 0; round < 200; round++) {
            InFlight guard = new InFlight(asymmetric);
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

    @Test
    void aThreadKeepsItsStripeAndADeadThreadsStripeIsTakenOver() throws Exception {
        assertThat(InFlight.ASYMMETRIC).as("HotSpot: calls enter without an atomic").isTrue();
        InFlight guard = new InFlight();
        int first = guard.enter(InFlight.READ);
        guard.exit(first);
        int again = guard.enter(InFlight.READ);
        guard.exit(again);
        assertThat(again).as("the same thread's stripe").isEqualTo(first);
        // more short-lived threads than stripes, one after another: each takes over a dead one's
        for (int t = 0; t < 3 * InFlight.overflowTicket(); t++) {
            int[] ticket = new int[1];
            Thread thread = new Thread(() -> {
                ticket[0] = guard.enter(InFlight.WRITE);
                guard.exit(ticket[0]);
            });
            thread.start();
            thread.join();
            assertThat(ticket[0]).as("thread %d got a stripe", t).isLessThan(InFlight.overflowTicket());
        }
        assertThat(guard.count(InFlight.WRITE)).isEqualTo(3L * InFlight.overflowTicket());
    }

    @Test
    void threadsBeyondTheStripesOwnedByLiveThreadsOverflowAndStillCount() throws Exception {
        InFlight guard = new InFlight();
        int owners = InFlight.overflowTicket();
        CountDownLatch owned = new CountDownLatch(owners);
        CountDownLatch end = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < owners; t++) {
            Thread thread = new Thread(() -> {
                guard.exit(guard.enter(InFlight.READ));
                owned.countDown();
                try {
                    end.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            thread.start();
            threads.add(thread);
        }
        assertThat(owned.await(10, TimeUnit.SECONDS)).isTrue();
        int ticket = guard.enter(InFlight.IOCTL);
        assertThat(ticket).as("every stripe has a live owner").isEqualTo(InFlight.overflowTicket());
        Thread closer = new Thread(guard::close);
        closer.start();
        closer.join(200);
        assertThat(closer.isAlive()).as("close waits for the overflowed call").isTrue();
        guard.exit(ticket);
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        assertThat(guard.count(InFlight.IOCTL)).isEqualTo(1);
        assertThat(guard.count(InFlight.READ)).isEqualTo(owners);
        end.countDown();
        for (Thread thread : threads) {
            thread.join(10_000);
        }
    }
}
