package mdev.sysfs.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevBus;
import mdev.log.Logs;

/**
 * Mounts the sysfs tree of a bus on a directory and unmounts it. A mount left behind by a
 * process that died (its FUSE connection gone) is lazily unmounted first, so the directory is
 * usable again.
 */
final class SysfsMounter implements AutoCloseable {
    private static final System.Logger LOG = Logs.of(SysfsMounter.class);
    /**
     * direct_io: reads and writes always reach us (sysfs files are generated per read);
     * zero timeouts: the kernel caches no attributes or names, the tree is live.
     */
    static final String OPTIONS = "direct_io,attr_timeout=0,entry_timeout=0,negative_timeout=0,fsname=mdev-osgi,subtype=sysfs";

    private static final int MOUNT_TIMEOUT_SECONDS = 20;

    private final Path mountpoint;
    private final FuseSysfs fs;

    private SysfsMounter(Path mountpoint, FuseSysfs fs) {
        this.mountpoint = mountpoint;
        this.fs = fs;
    }

    /** Mounts; EIO (with libfuse's or the kernel's reason) when it cannot. */
    static SysfsMounter mount(MdevBus bus, Path mountpoint) {
        Path dir = mountpoint.toAbsolutePath().normalize();
        if (isMounted(dir)) {
            LOG.log(Level.WARNING, "a stale mount on " + dir + " is unmounted first");
            lazyUnmount(dir);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            // the errno mkdir would give, not EIO for everything
            String reason = e instanceof java.nio.file.FileSystemException fs ? String.valueOf(fs.getReason()) : "";
            Errno errno = e instanceof java.nio.file.AccessDeniedException || reason.contains("Permission denied")
                    || reason.contains("Read-only") ? Errno.EACCES
                    : e instanceof java.nio.file.NoSuchFileException || reason.contains("No such file") ? Errno.ENOENT
                    : e instanceof java.nio.file.FileAlreadyExistsException || reason.contains("Not a directory")
                            ? Errno.ENOTDIR : Errno.EIO;
            throw new ErrnoException(errno, "cannot create the mount point " + dir + " (" + e.getClass().getSimpleName()
                    + ": " + e.getMessage() + ")", e);
        }
        // jnr-fuse's own non-blocking mount always waits two seconds; this runs libfuse's loop on
        // a thread of ours and is ready when the kernel's INIT request arrives
        CompletableFuture<Void> ready = new CompletableFuture<>();
        FuseSysfs fs = new FuseSysfs(new SysfsTree(bus), () -> ready.complete(null));
        Thread loop = new Thread(() -> {
            try {
                fs.mount(dir, true, false, new String[] {"-o", OPTIONS});
                ready.completeExceptionally(new IllegalStateException("libfuse's loop ended before it started"));
            } catch (Throwable e) {
                ready.completeExceptionally(e);
            }
        }, "mdev.sysfs FUSE " + dir);
        loop.setDaemon(true);
        loop.start();
        try {
            ready.get(MOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new ErrnoException(Errno.EIO, "cannot mount the sysfs tree on " + dir + " (libfuse2 and /dev/fuse "
                    + "are needed): " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            new SysfsMounter(dir, fs).close();
            throw new ErrnoException(Errno.EIO, "the sysfs tree on " + dir + " was not up within "
                    + MOUNT_TIMEOUT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            new SysfsMounter(dir, fs).close();
            throw new ErrnoException(Errno.EIO, "interrupted while mounting on " + dir);
        }
        return new SysfsMounter(dir, fs);
    }

    Path mountpoint() {
        return mountpoint;
    }

    /** Whether {@code dir} is a mount point now (per /proc/self/mountinfo). */
    static boolean isMounted(Path dir) {
        try {
            String target = dir.toAbsolutePath().normalize().toString().replace(" ", "\\040");
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] fields = line.split(" ");
                if (fields.length > 4 && fields[4].equals(target)) {
                    return true;
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "cannot read /proc/self/mountinfo: " + e.getMessage());
        }
        return false;
    }

    private static void lazyUnmount(Path dir) {
        for (List<String> command : List.of(List.of("fusermount", "-u", "-z", dir.toString()),
                List.of("umount", "-l", dir.toString()))) {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return;
                }
            } catch (IOException e) {
                // that tool is not installed: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.log(Level.ERROR, "cannot unmount " + dir);
    }

    /** Unmounts: libfuse's exit and unmount, else a lazy unmount (a process may sit in the tree). */
    @Override
    public void close() {
        try {
            fs.umount();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "unmounting " + mountpoint + " failed (" + e.getMessage() + "); unmounting lazily");
        }
        if (isMounted(mountpoint)) {
            lazyUnmount(mountpoint);
        }
    }
}
