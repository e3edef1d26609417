package vfio.user.internal;

import static vfio.user.VfioUser.IRQ_SET_SIZE;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioDeviceFile;
import vfio.user.VfioUserMessage;

/**
 * DEVICE_SET_IRQS of one connection: the kernel's vfio_irq_set, where eventfds come as
 * descriptors instead of numbers. Each descriptor becomes an eventfd in the connection's file
 * table whose signals are forwarded to the client's; none with DATA_EVENTFD de-assigns. Runs on
 * the connection's command thread only.
 */
final class IrqHandler {
    /**
     * A device-side eventfd whose signals are written to the client's descriptor. Devices signal
     * under their own locks, so a signal must never block: see {@link Descriptors#signalling}.
     */
    private static final class ForwardedEventFd {
        private final Descriptors.Signal out;
        final EventFd eventFd;

        ForwardedEventFd(FileDescriptor fd) {
            try {
                this.out = Descriptors.signalling(fd);
            } catch (IOException e) {
                throw new ErrnoException(Errno.EINVAL, "SET_IRQS descriptor: " + e.getMessage(), e);
            }
            this.eventFd = new EventFd(out::signal);
        }

        void close() {
            out.close();
        }
    }

    private final VfioDeviceFile device;
    private final FileTable files;
    /** Forwarded eventfds by (index, vector): closed when replaced, de-assigned or at the end. */
    private final Map<Long, ForwardedEventFd> forwarded = new HashMap<>();

    IrqHandler(VfioDeviceFile device, FileTable files) {
        this.device = device;
        this.files = files;
    }

    VfioUserMessage setIrqs(VfioUserMessage m, Requests.IrqSet r) {
        if (r.dataType() == Vfio.VFIO_IRQ_SET_DATA_EVENTFD) {
            setEventFds(r);
        } else {
            Descriptors.close(r.fds());   // no descriptor goes with other data types
            ByteBuffer arg = irqSet(r, r.bools().remaining());
            arg.put(IRQ_SET_SIZE, r.bools(), 0, r.bools().remaining());
            device.ioctl(Vfio.VFIO_DEVICE_SET_IRQS, arg);
            if (r.dataType() == Vfio.VFIO_IRQ_SET_DATA_NONE && r.count() == 0
                    && (r.flags() & Vfio.VFIO_IRQ_SET_ACTION_TRIGGER) != 0) {
                drop(r.index());   // the whole index disabled
            }
        }
        return VfioUserMessage.reply(m, ByteBuffer.allocate(0));
    }

    private void setEventFds(Requests.IrqSet r) {
        List<FileDescriptor> fds = r.fds();
        ByteBuffer arg = irqSet(r, 4 * r.count());
        List<ForwardedEventFd> added = new ArrayList<>();
        try {
            for (int i = 0; i < r.count(); i++) {
                if (fds.isEmpty()) {
                    arg.putInt(IRQ_SET_SIZE + 4 * i, -1);
                } else {
                    ForwardedEventFd f = new ForwardedEventFd(fds.get(i));
                    added.add(f);
                    arg.putInt(IRQ_SET_SIZE + 4 * i, files.install(f.eventFd));
                }
            }
            device.ioctl(Vfio.VFIO_DEVICE_SET_IRQS, arg);
        } catch (ErrnoException e) {
            added.forEach(this::forget);
            throw e;
        }
        for (int i = 0; i < r.count(); i++) {
            long key = ((long) r.index() << 32) | Integer.toUnsignedLong(r.start() + i);
            ForwardedEventFd old = fds.isEmpty() ? forwarded.remove(key) : forwarded.put(key, added.get(i));
            if (old != null) {
                forget(old);
            }
        }
    }

    /** The kernel's vfio_irq_set for this request with {@code data} bytes after the header. */
    private static ByteBuffer irqSet(Requests.IrqSet r, int data) {
        ByteBuffer arg = ByteBuffer.allocate(IRQ_SET_SIZE + data).order(ByteOrder.LITTLE_ENDIAN);
        return arg.putInt(0, arg.capacity()).putInt(4, r.flags()).putInt(8, r.index()).putInt(12, r.start())
                .putInt(16, r.count());
    }

    private void forget(ForwardedEventFd f) {
        files.forget(f.eventFd);
        f.close();
    }

    private void drop(int index) {
        forwarded.entrySet().removeIf(e -> {
            if ((e.getKey() >>> 32) == index) {
                forget(e.getValue());
                return true;
            }
            return false;
        });
    }

    /** After the device is closed: the client's descriptors closed. */
    void release() {
        forwarded.values().forEach(ForwardedEventFd::close);
        forwarded.clear();
    }
}
