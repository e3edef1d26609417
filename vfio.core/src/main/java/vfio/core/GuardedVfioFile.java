package vfio.core;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * An open VFIO device file. Each call enters the device's guard (which counts it by kind),
 * checks the file is still open, and forwards to the ops fetched once at bind: no lookup,
 * reflection or allocation on the way (vfio_mdev.c's forwarders).
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
        int ticket = enter(InFlight.READ);
        try {
            return device.ops.read(dst, pos);
        } finally {
            device.guard.exit(ticket);
        }
    }

    @Override
    public int write(ByteBuffer src, long pos) {
        int ticket = enter(InFlight.WRITE);
        try {
            return device.ops.write(src, pos);
        } finally {
            device.guard.exit(ticket);
        }
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg) {
        int ticket = enter(InFlight.IOCTL);
        try {
            long result = device.ops.ioctl(cmd, arg, files);
            if (cmd == Vfio.VFIO_DEVICE_SET_IRQS) {
                countInterrupts(arg);
            }
            return result;
        } finally {
            device.guard.exit(ticket);
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
        int ticket = enter(InFlight.OTHER);
        try {
            return device.ops.mmap(pos, length);
        } finally {
            device.guard.exit(ticket);
        }
    }

    @Override
    public java.util.Optional<java.io.FileDescriptor> regionFile(int index) {
        int ticket = enter(InFlight.OTHER);
        try {
            return device.ops.regionFile(index);
        } finally {
            device.guard.exit(ticket);
        }
    }

    @Override
    public void close() {
        boolean ended = false;
        int ticket = device.guard.enter(InFlight.OTHER);   // -1: the device has gone, its opens were released
        try {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            if (ticket >= 0) {
                ended = device.closed(this);
            }
        } finally {
            if (ticket >= 0) {
                device.guard.exit(ticket);
            }
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

    /** Enters the guard for a call of {@code kind}; EBADF after close, ENODEV once the device has gone. */
    private int enter(int kind) {
        int ticket = device.guard.enter(kind);
        if (closed) {   // a closed file answers EBADF, gone device or not
            if (ticket >= 0) {
                device.guard.exit(ticket);
            }
            throw new ErrnoException(Errno.EBADF, "device file of " + device.name() + " is closed");
        }
        if (ticket < 0) {
            throw device.goneError();
        }
        return ticket;
    }
}
