package vfio.core;

import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * An eventfd: a 64-bit counter that devices signal and users read and wait on. The Java form
 * of the eventfds VFIO_DEVICE_SET_IRQS hands to a device for interrupts.
 */
public final class EventFd {
    private long counter;
    /** Where signals also go (another process's eventfd), or null. */
    private final LongConsumer forward;
    /** Where signals are also counted (the interrupts of the device the eventfd was given to), or null. */
    private volatile java.util.concurrent.atomic.LongAdder signals;

    public EventFd() {
        this.forward = null;
    }

    /**
     * An eventfd whose signals are also handed to {@code forward}, after the counter is
     * updated and outside this object's lock: a vfio-user server forwards a device's
     * interrupts to the client's own eventfd this way. {@code forward} must not block.
     */
    public EventFd(LongConsumer forward) {
        this.forward = java.util.Objects.requireNonNull(forward, "forward");
    }

    /** eventfd_signal: adds {@code n} (normally 1) and wakes waiters. Never blocks. */
    public void signal(long n) {
        if (n <= 0) {
            throw new ErrnoException(Errno.EINVAL, "eventfd increment " + n + " must be positive");
        }
        synchronized (this) {
            counter += n;
            notifyAll();
        }
        java.util.concurrent.atomic.LongAdder counted = signals;
        if (counted != null) {
            counted.add(n);
        }
        if (forward != null) {
            forward.accept(n);
        }
    }

    /** From now on each signal is also added to {@code counter} (a device's interrupt count); null stops it. */
    public void countSignalsInto(java.util.concurrent.atomic.LongAdder counter) {
        this.signals = counter;
    }

    public void signal() {
        signal(1);
    }

    /** A non-blocking read: returns the counter and resets it; EAGAIN when it is zero. */
    public synchronized long read() {
        if (counter == 0) {
            throw new ErrnoException(Errno.EAGAIN, "eventfd counter is 0");
        }
        long value = counter;
        counter = 0;
        return value;
    }

    /** The counter without resetting it. */
    public synchronized long count() {
        return counter;
    }

    /** Waits until the counter is non-zero; returns whether it is. */
    public synchronized boolean await(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (counter == 0) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }
}
