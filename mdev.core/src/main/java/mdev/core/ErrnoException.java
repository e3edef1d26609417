package mdev.core;

import java.util.Objects;

/**
 * A failure with the errno the kernel would return for it and a message naming the bad value.
 * Every entry point of this project fails with this exception and nothing else.
 */
public class ErrnoException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    public ErrnoException(Errno errno, String message) {
        super(message);
        this.errno = Objects.requireNonNull(errno);
    }

    public ErrnoException(Errno errno, String message, Throwable cause) {
        super(message, cause);
        this.errno = Objects.requireNonNull(errno);
    }

    public Errno errno() {
        return errno;
    }

    /** The value a kernel call would return: {@code -errno}. */
    public int negativeErrno() {
        return -errno.number();
    }

    /** {@code <ERRNO>: <message>}, the form front ends print. */
    @Override
    public String toString() {
        return errno.name() + ": " + getMessage();
    }
}
