package vfio.core;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import org.osgi.annotation.versioning.ConsumerType;
import mdev.log.Logs;

/**
 * A VFIO device over a vendor's ops, as a class driver publishes it (vfio_mdev.c's device, or
 * a transport that presents another kind of device as VFIO). Every call on an open file enters
 * its {@code guard} ({@link InFlight}: a plain store on the calling thread's own stripe, no
 * atomic, no cache line shared between threads) and {@link #shutdown} closes it once, so that when the
 * device goes, calls in flight finish before the vendor frees its state, and later calls answer
 * ENODEV. The guard sits between the bus lock and the vendor's own lock in the lock order. While a
 * file is open the device holds an open reference ({@link #takeOpenReference}), which makes
 * removing what it presents answer EBUSY.
 */
@ConsumerType
public abstract class GuardedVfioDevice implements VfioDevice {
    private final UUID uuid;
    final VfioDeviceOps ops;
    /** Calls in flight, and the counts of reads, writes and ioctls made. */
    final InFlight guard = new InFlight();
    /** Signals of the eventfds SET_IRQS gave the device (striped: interrupts come from many threads). */
    final java.util.concurrent.atomic.LongAdder interrupts = new java.util.concurrent.atomic.LongAdder();
    /** Open files, guarded by {@code this}. */
    private final List<GuardedVfioFile> files = new ArrayList<>();

    protected GuardedVfioDevice(UUID uuid, VfioDeviceOps ops) {
        this.uuid = java.util.Objects.requireNonNull(uuid);
        this.ops = java.util.Objects.requireNonNull(ops);
    }

    /** Takes an open reference on what the device presents (mdev_device's acquire); may refuse with an errno. */
    protected abstract void takeOpenReference();

    /** Drops one open reference. */
    protected abstract void dropOpenReference();

    @Override
    public UUID uuid() {
        return uuid;
    }

    @Override
    public String name() {
        return uuid.toString();
    }

    @Override
    public java.util.Optional<String> iommuDevice() {
        return java.util.Optional.empty();
    }

    /** The open-by-UUID path: no container, so the vendor's DMA answers EINVAL. */
    private static final VfioDeviceContext NO_CONTAINER = () -> {
        throw new ErrnoException(Errno.EINVAL, "the device was opened outside a container with an IOMMU");
    };

    @Override
    public VfioDeviceFile open(FileTable fileTable) {
        return open(fileTable, NO_CONTAINER, null);
    }

    @Override
    public VfioDeviceFile open(FileTable fileTable, VfioDeviceContext context, Runnable onRelease) {
        if (fileTable == null || context == null) {
            throw new ErrnoException(Errno.EINVAL, "open of " + name() + " needs a file table and a context");
        }
        int ticket = guard.enter(InFlight.OTHER);
        if (ticket < 0) {
            throw goneError();
        }
        try {
            takeOpenReference();
            try {
                ops.open(context);
            } catch (RuntimeException e) {
                dropOpenReference();
                throw e;
            }
            GuardedVfioFile file = new GuardedVfioFile(this, fileTable, onRelease);
            synchronized (this) {
                files.add(file);
            }
            return file;
        } finally {
            guard.exit(ticket);
        }
    }

    /**
     * Called by a file's close from inside the guard, the device not gone; returns
     * whether this ended an open (then the file runs its onRelease after unlocking).
     */
    boolean closed(GuardedVfioFile file) {
        boolean wasOpen;
        synchronized (this) {
            wasOpen = files.remove(file);
        }
        if (wasOpen) {
            try {
                ops.release();
            } finally {
                dropOpenReference();
            }
        }
        return wasOpen;
    }

    @Override
    public boolean hasDisplay() {
        return ops instanceof VfioGfxIoctls;
    }

    @Override
    public VfioDeviceStats stats() {
        return new VfioDeviceStats(guard.count(InFlight.READ), guard.count(InFlight.WRITE), guard.count(InFlight.IOCTL),
                interrupts.sum());
    }

    ErrnoException goneError() {
        return new ErrnoException(Errno.ENODEV, "device " + name() + " has been removed or unbound");
    }

    /**
     * Unbind: waits for calls in flight, marks the device gone, then releases every open so
     * the vendor sees each open matched by a release.
     */
    public void shutdown() {
        if (!guard.close()) {
            return;   // shut down already
        }
        // no call is in flight now and none gets in: the opens are released here, once each
        List<GuardedVfioFile> open;
        synchronized (this) {
            open = new ArrayList<>(files);
            files.clear();
        }
        for (GuardedVfioFile file : open) {
            try {
                ops.release();
            } catch (RuntimeException e) {
                Logs.of(GuardedVfioDevice.class).log(System.Logger.Level.WARNING,
                        "release of " + name() + " failed during unbind", e);
            } finally {
                dropOpenReference();
            }
        }
        // Outside the guard: onRelease takes the group's and container's locks.
        for (GuardedVfioFile file : open) {
            file.runOnRelease();
        }
    }
}
