package mdev.core;

/** The Linux errno values this project answers with, by their kernel names and numbers. */
public enum Errno {
    EPERM(1),
    E2BIG(7),
    ENOENT(2),
    EIO(5),
    EBADF(9),
    EAGAIN(11),
    ENOMEM(12),
    EACCES(13),
    EFAULT(14),
    EBUSY(16),
    EEXIST(17),
    ENODEV(19),
    EINVAL(22),
    ENOTTY(25),
    ENOSPC(28),
    ERANGE(34),
    ENOSYS(38),
    EOPNOTSUPP(95),
    EADDRINUSE(98),
    EADDRNOTAVAIL(99);

    private final int number;

    Errno(int number) {
        this.number = number;
    }

    /** The positive errno number; the kernel returns its negation. */
    public int number() {
        return number;
    }

    /** The errno for a number, or {@code null} if this project does not use it. */
    public static Errno of(int number) {
        for (Errno e : values()) {
            if (e.number == number) {
                return e;
            }
        }
        return null;
    }
}
