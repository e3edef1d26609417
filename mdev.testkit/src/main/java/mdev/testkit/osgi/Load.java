package mdev.testkit.osgi;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * Threads doing I/O while a test stops and starts bundles. Each runs {@link Io#run} over and
 * over; a failure with ENODEV (the device went with its bundle) or EBUSY is what hot-plug
 * promises and is counted, anything else is kept and fails {@link #close}.
 */
public final class Load implements AutoCloseable {
    /** One round of I/O on thread {@code thread}. */
    @FunctionalInterface
    public interface Io {
        void run(int thread) throws Exception;
    }

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong rounds = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    private final List<Thread> threads = new ArrayList<>();

    Load(int count, Io io) {
        for (int i = 0; i < count; i++) {
            int n = i;
            Thread t = new Thread(() -> {
                while (running.get()) {
                    try {
                        io.run(n);
                        rounds.incrementAndGet();
                    } catch (ErrnoException e) {
                        if (e.errno() == Errno.ENODEV || e.errno() == Errno.EBUSY) {
                            refused.incrementAndGet();
                        } else {
                            failures.add(e);
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }
            }, "mdev-testkit load " + n);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Rounds that completed. */
    public long rounds() {
        return rounds.get();
    }

    /** Rounds refused with ENODEV or EBUSY. */
    public long refused() {
        return refused.get();
    }

    /** Stops the threads, waits for them, and fails with the first unexpected failure. */
    @Override
    public void close() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(MdevHost.TIMEOUT.toMillis());
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " did not stop: a call hangs");
            }
        }
        Throwable first = failures.peek();
        if (first != null) {
            throw new AssertionError(failures.size() + " unexpected failure(s) under load, the first: " + first, first);
        }
    }
}
