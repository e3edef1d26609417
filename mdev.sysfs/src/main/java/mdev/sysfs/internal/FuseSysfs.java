package mdev.sysfs.internal;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Timespec;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.log.Logs;

/**
 * The sysfs tree as a FUSE file system (jnr-fuse over libfuse 2). Every call looks the path
 * up in the tree afresh; files are opened direct-I/O and nothing is cached by the kernel (see
 * the mount options), so each read shows the bus as it is and each write reaches it.
 * Attribute files report 4096 bytes, as sysfs does; directories are 0755, links 0777.
 *
 * <p>Called on libfuse's threads; the tree holds no state, the bus does its own locking.
 */
final class FuseSysfs extends FuseStubFS {
    private static final System.Logger LOG = Logs.of(FuseSysfs.class);
    private static final int O_ACCMODE = 3;
    private static final int O_WRONLY = 1;
    private static final int O_RDWR = 2;
    private static final int SYSFS_FILE_SIZE = 4096;

    private final SysfsTree tree;
    private final Runnable onInit;
    private final long mountedAt = System.currentTimeMillis() / 1000;
    /**
     * What an open file's first read showed, by file handle: later reads of that open file
     * continue it, as kernfs's seq_file does, so a value that changes between two reads (an
     * available_instances going from 1000 to 999) never yields half of each.
     */
    private final java.util.Map<Long, byte[]> shown = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong handles = new java.util.concurrent.atomic.AtomicLong();

    /** {@code onInit} runs when the kernel's INIT arrives: the mount is up. */
    FuseSysfs(SysfsTree tree, Runnable onInit) {
        this.tree = tree;
        this.onInit = onInit;
    }

    @Override
    public Pointer init(Pointer conn) {
        onInit.run();
        return null;
    }

    private static int fail(Errno errno) {
        return -errno.number();
    }

    @Override
    public int getattr(String path, FileStat stat) {
        Optional<SysfsTree.Node> node = tree.lookup(path);
        if (node.isEmpty()) {
            return fail(Errno.ENOENT);
        }
        stat.st_uid.set(0);
        stat.st_gid.set(0);
        for (Timespec t : new Timespec[] {stat.st_atim, stat.st_mtim, stat.st_ctim}) {
            t.tv_sec.set(mountedAt);
        }
        if (node.get() instanceof SysfsTree.Dir) {
            stat.st_mode.set(FileStat.S_IFDIR | 0755);
            stat.st_nlink.set(2);
            stat.st_size.set(0);
        } else if (node.get() instanceof SysfsTree.Link link) {
            stat.st_mode.set(FileStat.S_IFLNK | 0777);
            stat.st_nlink.set(1);
            stat.st_size.set(SysfsTree.bytes(link.target()).length);
        } else if (node.get() instanceof SysfsTree.Attr attr) {
            stat.st_mode.set(FileStat.S_IFREG | attr.mode());
            stat.st_nlink.set(1);
            stat.st_size.set(SYSFS_FILE_SIZE);
        }
        return 0;
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        Optional<SysfsTree.Node> node = tree.lookup(path);
        if (node.isEmpty()) {
            return fail(Errno.ENOENT);
        }
        if (!(node.get() instanceof SysfsTree.Dir dir)) {
            return fail(Errno.ENOTDIR);
        }
        filler.apply(buf, ".", null, 0);
        filler.apply(buf, "..", null, 0);
        for (String entry : dir.entries()) {
            filler.apply(buf, entry, null, 0);
        }
        return 0;
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        Optional<SysfsTree.Node> node = tree.lookup(path);
        if (node.isEmpty()) {
            return fail(Errno.ENOENT);
        }
        if (!(node.get() instanceof SysfsTree.Link link)) {
            return fail(Errno.EINVAL);
        }
        buf.putString(0, link.target(), (int) size, StandardCharsets.UTF_8);
        return 0;
    }

    /** kernfs_fop_open: opening for an access the attribute lacks is EACCES, for root too. */
    @Override
    public int open(String path, FuseFileInfo fi) {
        Optional<SysfsTree.Node> node = tree.lookup(path);
        if (node.isEmpty()) {
            return fail(Errno.ENOENT);
        }
        if (!(node.get() instanceof SysfsTree.Attr attr)) {
            return fail(Errno.EISDIR);
        }
        int access = fi.flags.get() & O_ACCMODE;
        boolean wantsRead = access != O_WRONLY;
        boolean wantsWrite = access == O_WRONLY || access == O_RDWR;
        if ((wantsRead && !attr.readable()) || (wantsWrite && !attr.writable())) {
            return fail(Errno.EACCES);
        }
        fi.fh.set(handles.incrementAndGet());
        return 0;
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        shown.remove(fi.fh.get());
        return 0;
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        Optional<SysfsTree.Node> node = tree.lookup(path);
        if (node.isEmpty()) {
            return fail(Errno.ENODEV);    // the device went away while open
        }
        if (!(node.get() instanceof SysfsTree.Attr attr) || !attr.readable()) {
            return fail(Errno.EACCES);
        }
        long handle = fi.fh.get();
        byte[] content = offset == 0 ? null : shown.get(handle);
        try {
            if (content == null) {
                content = SysfsTree.bytes(attr.show().show());
                shown.put(handle, content);
            }
        } catch (ErrnoException e) {
            return fail(e.errno());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reading " + path + " failed", e);
            return fail(Errno.EIO);
        }
        if (offset >= content.length) {
            return 0;
        }
        int n = (int) Math.min(size, content.length - offset);
        buf.put(0, content, (int) offset, n);
        return n;
    }

    /** Each write is one store, as in sysfs; its errno is what write(2) returns. */
    @Override
    public int write(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        Optional<SysfsTree.Node> node = tree.lookup(path);
        if (node.isEmpty()) {
            return fail(Errno.ENODEV);
        }
        if (!(node.get() instanceof SysfsTree.Attr attr) || !attr.writable()) {
            return fail(Errno.EACCES);
        }
        if (size > SYSFS_FILE_SIZE) {
            return fail(Errno.E2BIG);
        }
        byte[] data = new byte[(int) size];
        buf.get(0, data, 0, data.length);
        try {
            attr.store().store(new String(data, StandardCharsets.UTF_8));
        } catch (ErrnoException e) {
            return fail(e.errno());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "writing " + path + " failed", e);
            return fail(Errno.EIO);
        }
        return (int) size;
    }

    /** {@code echo 1 > remove} opens with O_TRUNC; sysfs ignores the truncation. */
    @Override
    public int truncate(String path, @off_t long size) {
        Optional<SysfsTree.Node> node = tree.lookup(path);
        if (node.isEmpty()) {
            return fail(Errno.ENOENT);
        }
        return node.get() instanceof SysfsTree.Attr attr && attr.writable() ? 0 : fail(Errno.EACCES);
    }

    @Override
    public int ftruncate(String path, @off_t long size, FuseFileInfo fi) {
        return truncate(path, size);
    }

    // sysfs has no files or directories made by users: what would change the tree's shape fails

    @Override
    public int create(String path, @mode_t long mode, FuseFileInfo fi) {
        return tree.lookup(path).isPresent() ? open(path, fi) : fail(Errno.EACCES);
    }

    @Override
    public int mknod(String path, @mode_t long mode, long rdev) {
        return fail(Errno.EACCES);
    }

    @Override
    public int mkdir(String path, @mode_t long mode) {
        return fail(Errno.EPERM);
    }

    @Override
    public int unlink(String path) {
        return fail(Errno.EPERM);
    }

    @Override
    public int rmdir(String path) {
        return fail(Errno.EPERM);
    }

    @Override
    public int symlink(String oldpath, String newpath) {
        return fail(Errno.EPERM);
    }

    @Override
    public int rename(String oldpath, String newpath) {
        return fail(Errno.EPERM);
    }

    @Override
    public int link(String oldpath, String newpath) {
        return fail(Errno.EPERM);
    }

    @Override
    public int chmod(String path, @mode_t long mode) {
        return fail(Errno.EPERM);
    }

    @Override
    public int chown(String path, long uid, long gid) {
        return fail(Errno.EPERM);
    }
}
