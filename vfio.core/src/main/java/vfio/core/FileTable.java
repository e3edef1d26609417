package vfio.core;

import java.util.HashMap;
import java.util.Map;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * A caller's table of open eventfds by number, the part of a process's file table that VFIO
 * ioctls reach: VFIO_DEVICE_SET_IRQS carries eventfd numbers, resolved here as the kernel's
 * eventfd_ctx_fdget resolves them in the calling process. Numbers start at 3.
 */
public final class FileTable {
    private final Map<Integer, EventFd> files = new HashMap<>();
    private int next = 3;

    /** Installs an eventfd and returns its number. */
    public synchronized int install(EventFd eventFd) {
        while (files.containsKey(next)) {
            next++;
        }
        int fd = next++;
        files.put(fd, eventFd);
        return fd;
    }

    /** The number of {@code eventFd} in this table, installing it if it has none. */
    public synchronized int numberOf(EventFd eventFd) {
        for (Map.Entry<Integer, EventFd> e : files.entrySet()) {
            if (e.getValue() == eventFd) {
                return e.getKey();
            }
        }
        return install(eventFd);
    }

    /** The eventfd with number {@code fd}; EBADF if there is none. */
    public synchronized EventFd eventFd(int fd) {
        EventFd e = files.get(fd);
        if (e == null) {
            throw new ErrnoException(Errno.EBADF, "fd " + fd + " is not an open eventfd");
        }
        return e;
    }

    /** Closes {@code fd}; EBADF if it is not open. */
    public synchronized void close(int fd) {
        if (files.remove(fd) == null) {
            throw new ErrnoException(Errno.EBADF, "fd " + fd + " is not open");
        }
        next = Math.min(next, fd);
    }
}
