package mdev.web.internal;

import mdev.core.Errno;

/** The HTTP status for an errno, as the API answers a failed request. */
final class HttpErrors {
    private HttpErrors() {
    }

    static int status(Errno errno) {
        return switch (errno) {
            case ENOENT, ENODEV -> 404;
            case EEXIST, EBUSY, EADDRINUSE -> 409;
            case EINVAL, ERANGE, E2BIG, ENOTDIR, EISDIR, EFAULT, EBADF, EADDRNOTAVAIL, ENOTTY -> 400;
            case EACCES, EPERM -> 403;
            case ENOSPC, ENOMEM -> 507;
            case EOPNOTSUPP, ENOSYS -> 501;
            case EAGAIN -> 503;
            case ENODATA -> 404;
            default -> 500;
        };
    }
}
