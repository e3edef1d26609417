package vfio.core;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * An open VFIO device file. Each call read-locks the device's guard, checks the file and the
 * device are still there, and forwards to the ops fetched once at bind: no lookup, reflection
 * or allocation on the way (vfio_mdev.c's forwarders).
 */
final class GuardedVfioFile implements VfioDeviceFile {
    private final GuardedVfioDevice device;
    private final FileTable files;
    private final Runnable onRelease;
    private volatile boolean closed;

    GuardedVfioFile(GuardedVfioDevice device, FileTable files, Runnable onRelease) {
        this.device = device;
        this.files = files;
        this.onRelease = onRelease;
    }

    @Override
    public VfioDevice device() {
        return device;
    }

    @Override
    public FileTable files() {
        return files;
    }

    @Override
    public int read(ByteBuffer dst, long pos) {
        long stamp = enter();
        try {
            device.reads.increment();
            return device.ops.read(dst, pos);
        } finally {
            device.guard.unlockRead(stamp);
        }
    }

    @Override
    public int write(ByteBuffer src, long pos) {
        long stamp = enter();
        try {
            device.writes.increment();
            return device.ops.write(src, pos);
        } finally {
            device.guard.unlockRead(stamp);
        }
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg) {
        long stamp = enter();
        try {
            device.ioctls.increment();
            long result = device.ops.ioctl(cmd, arg, files);
            if (cmd == Vfio.VFIO_DEVICE_SET_IRQS) {
                countInterrupts(arg);
            }
            return result;
        } finally {
            device.guard.unlockRead(stamp);
        }
    }

    /** The eventfds a successful SET_IRQS gave the device count their signals as the device's interrupts. */
    private void countInterrupts(ByteBuffer arg) {
        int base = arg.position();
        int flags = arg.getInt(base + 4);
        if ((flags & Vfio.VFIO_IRQ_SET_DATA_EVENTFD) == 0 || (flags & Vfio.VFIO_IRQ_SET_ACTION_TRIGGER) == 0) {
            return;
        }
        int count = arg.getInt(base + 16);
        for (int i = 0; i < count; i++) {
            int fd = arg.getInt(base + 20 + 4 * i);
            if (fd >= 0) {
                try {
                    files.eventFd(fd).countSignalsInto(device.interrupts);
                } catch (mdev.core.ErrnoException closedMeanwhile) {
                    // the device took it; nothing to count
                }
            }
        }
    }

    @Override
    public ByteBuffer mmap(long pos, long length) {
        long stamp = enter();
        try {
            return device.ops.mmap(pos, length);
        } finally {
            device.guard.unlockRead(stamp);
        }
    }

    @Override
    public java.util.Optional<java.io.FileDescriptor> regionFile(int index) {
        long stamp = enter();
        try {
            return device.ops.regionFile(index);
        } finally {
            device.guard.unlockRead(stamp);
        }
    }

    @Override
    public void close() {
        boolean ended = false;
        long stamp = device.guard.readLock();
        try {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            if (!device.gone) {
                ended = device.closed(this);
            }
        } finally {
            device.guard.unlockRead(stamp);
        }
        files.forget(this);
        if (ended) {
            runOnRelease();
        }
    }

    /** Tells whoever opened this file through a group that the open has ended. */
    void runOnRelease() {
        if (onRelease != null) {
            onRelease.run();
        }
    }

    /** Read-locks the guard; EBADF after close, ENODEV once the device has gone. */
    private long enter() {
        long stamp = device.guard.readLock();
        if (closed) {
            device.guard.unlockRead(stamp);
            throw new ErrnoException(Errno.EBADF, "device file of " + device.name() + " is closed");
        }
        if (device.gone) {
            device.guard.unlockRead(stamp);
            throw device.goneError();
        }
        return stamp;
    }
}
