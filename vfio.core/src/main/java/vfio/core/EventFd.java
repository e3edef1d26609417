package vfio.core;

import java.util.concurrent.TimeUnit;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * An eventfd: a 64-bit counter that devices signal and users read and wait on. The Java form
 * of the eventfds VFIO_DEVICE_SET_IRQS hands to a device for interrupts.
 */
public final class EventFd {
    private long counter;

    /** eventfd_signal: adds {@code n} (normally 1) and wakes waiters. Never blocks. */
    public synchronized void signal(long n) {
        if (n <= 0) {
            throw new ErrnoException(Errno.EINVAL, "eventfd increment " + n + " must be positive");
        }
        counter += n;
        notifyAll();
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
