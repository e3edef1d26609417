package vfio.core;

import java.util.HashMap;
import java.util.Map;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * A caller's table of open files by number: the part of a process's file table that VFIO
 * reaches. It holds eventfds (passed by number in VFIO_DEVICE_SET_IRQS), containers (passed by
 * number to VFIO_GROUP_SET_CONTAINER) and device files (returned by number from
 * VFIO_GROUP_GET_DEVICE_FD). Numbers start at 3.
 */
public final class FileTable {
    private final Map<Integer, Object> files = new HashMap<>();
    private int next = 3;

    /** Installs a file and returns its number. */
    public synchronized int install(Object file) {
        while (files.containsKey(next)) {
            next++;
        }
        int fd = next++;
        files.put(fd, file);
        return fd;
    }

    /** The number of {@code file} in this table, installing it if it has none. */
    public synchronized int numberOf(Object file) {
        for (Map.Entry<Integer, Object> e : files.entrySet()) {
            if (e.getValue() == file) {
                return e.getKey();
            }
        }
        return install(file);
    }

    /** The file with number {@code fd}: EBADF if none, EINVAL if it is not a {@code type}. */
    public synchronized <T> T get(int fd, Class<T> type) {
        Object file = files.get(fd);
        if (file == null) {
            throw new ErrnoException(Errno.EBADF, "fd " + fd + " is not open");
        }
        if (!type.isInstance(file)) {
            throw new ErrnoException(Errno.EINVAL, "fd " + fd + " is not a " + type.getSimpleName());
        }
        return type.cast(file);
    }

    /** The eventfd with number {@code fd}. */
    public EventFd eventFd(int fd) {
        return get(fd, EventFd.class);
    }

    /** Forgets {@code fd} (the file itself is not closed); EBADF if it is not open. */
    public synchronized void close(int fd) {
        if (files.remove(fd) == null) {
            throw new ErrnoException(Errno.EBADF, "fd " + fd + " is not open");
        }
        next = Math.min(next, fd);
    }

    /** Forgets {@code file} wherever it is in the table. */
    public synchronized void forget(Object file) {
        files.values().removeIf(f -> f == file);
        next = 3;
    }
}
