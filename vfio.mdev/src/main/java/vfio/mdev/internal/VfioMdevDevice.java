package vfio.mdev.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.StampedLock;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevDevice;
import vfio.core.FileTable;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDeviceOps;

/**
 * One bound device. Its {@code guard} is read-locked by every call on an open file and
 * write-locked once by {@link #shutdown}, so that when the device goes, calls in flight finish
 * before the vendor frees its state, and later calls see {@code gone} and answer ENODEV.
 * The guard sits between the bus lock and the vendor's own lock in the lock order.
 */
final class VfioMdevDevice implements VfioDevice {
    final MdevDevice mdev;
    final VfioDeviceOps ops;
    final StampedLock guard = new StampedLock();
    /** Written under the guard's write lock, read under its read lock. */
    boolean gone;
    /** Open files, guarded by {@code this}. */
    private final List<VfioMdevFile> files = new ArrayList<>();

    VfioMdevDevice(MdevDevice mdev, VfioDeviceOps ops) {
        this.mdev = mdev;
        this.ops = ops;
    }

    @Override
    public UUID uuid() {
        return mdev.uuid();
    }

    @Override
    public String name() {
        return mdev.uuid().toString();
    }

    @Override
    public java.util.Optional<String> iommuDevice() {
        return mdev.iommuDevice();
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
        long stamp = guard.readLock();
        try {
            if (gone) {
                throw goneError();
            }
            mdev.acquire();
            try {
                ops.open(context);
            } catch (RuntimeException e) {
                mdev.release();
                throw e;
            }
            VfioMdevFile file = new VfioMdevFile(this, fileTable, onRelease);
            synchronized (this) {
                files.add(file);
            }
            return file;
        } finally {
            guard.unlockRead(stamp);
        }
    }

    /**
     * Called by a file's close with the guard read-locked and the device not gone; returns
     * whether this ended an open (then the file runs its onRelease after unlocking).
     */
    boolean closed(VfioMdevFile file) {
        boolean wasOpen;
        synchronized (this) {
            wasOpen = files.remove(file);
        }
        if (wasOpen) {
            try {
                ops.release();
            } finally {
                mdev.release();
            }
        }
        return wasOpen;
    }

    ErrnoException goneError() {
        return new ErrnoException(Errno.ENODEV, "device " + name() + " has been removed or unbound");
    }

    /**
     * Unbind: waits for calls in flight, marks the device gone, then releases every open so
     * the vendor sees each open matched by a release.
     */
    void shutdown() {
        List<VfioMdevFile> open = List.of();
        long stamp = guard.writeLock();
        try {
            if (gone) {
                return;
            }
            gone = true;
            synchronized (this) {
                open = new ArrayList<>(files);
                files.clear();
            }
            for (VfioMdevFile file : open) {
                try {
                    ops.release();
                } catch (RuntimeException e) {
                    System.getLogger(VfioMdevDevice.class.getName()).log(System.Logger.Level.WARNING,
                            "release of " + name() + " failed during unbind", e);
                } finally {
                    mdev.release();
                }
            }
        } finally {
            guard.unlockWrite(stamp);
        }
        // Outside the guard: onRelease takes the group's and container's locks.
        for (VfioMdevFile file : open) {
            file.runOnRelease();
        }
    }
}
