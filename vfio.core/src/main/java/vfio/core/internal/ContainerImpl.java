package vfio.core.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioContainer;
import vfio.core.VfioDma;
import vfio.core.VfioIommu;
import vfio.core.VfioIommuDriver;
import vfio.core.VmAddressSpace;

/**
 * A container (struct vfio_container). Its lock is the kernel's group_lock: written to set
 * the IOMMU and to attach or detach groups, read for every ioctl passed to the IOMMU.
 */
final class ContainerImpl implements VfioContainer {
    private final VfioCore core;
    private final VmAddressSpace vm;
    private final FileTable files;
    private final int fd;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    /** The rest is guarded by lock. */
    private final List<GroupImpl> groups = new ArrayList<>();
    private VfioIommuDriver driver;
    private VfioIommu iommu;
    private boolean iommuGone;
    private boolean fileClosed;

    ContainerImpl(VfioCore core, VmAddressSpace vm, FileTable files) {
        this.core = core;
        this.vm = vm;
        this.files = files;
        this.fd = files.install(this);
    }

    @Override
    public int fd() {
        return fd;
    }

    @Override
    public VmAddressSpace vm() {
        return vm;
    }

    @Override
    public long ioctl(int cmd, long arg) {
        if (cmd == Vfio.VFIO_GET_API_VERSION) {
            checkOpen();
            return Vfio.VFIO_API_VERSION;
        }
        if (cmd == Vfio.VFIO_NESTING_GET_IOMMU_UAPI_VERSION) {
            checkOpen();
            return Vfio.IOMMU_UAPI_VERSION;
        }
        if (cmd == Vfio.VFIO_CHECK_EXTENSION) {
            return checkExtension(arg);
        }
        if (cmd == Vfio.VFIO_SET_IOMMU) {
            setIommu(arg);
            return 0;
        }
        // Every other container ioctl takes a struct: a bare number is a bad pointer.
        return ioctl(cmd, (ByteBuffer) null);
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg) {
        if (cmd == Vfio.VFIO_GET_API_VERSION || cmd == Vfio.VFIO_CHECK_EXTENSION || cmd == Vfio.VFIO_SET_IOMMU
                || cmd == Vfio.VFIO_NESTING_GET_IOMMU_UAPI_VERSION) {
            throw new ErrnoException(Errno.EINVAL, "ioctl 0x" + Integer.toHexString(cmd) + " takes a number, not a struct");
        }
        lock.readLock().lock();
        try {
            checkOpen();
            if (iommuGone) {
                throw new ErrnoException(Errno.ENODEV, "the IOMMU driver of container " + fd + " has gone");
            }
            if (iommu == null) {
                throw new ErrnoException(Errno.EINVAL, "container " + fd + " has no IOMMU set (VFIO_SET_IOMMU)");
            }
            return iommu.ioctl(cmd, arg);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void checkOpen() {
        if (fileClosed) {
            throw new ErrnoException(Errno.EBADF, "container " + fd + " is closed");
        }
    }

    /** VFIO_CHECK_EXTENSION: the set driver's answer, or the best of all drivers before one is set. */
    private long checkExtension(long extension) {
        lock.readLock().lock();
        try {
            checkOpen();
            int ext = (int) extension;
            if (driver != null) {
                return Math.max(0, driver.checkExtension(ext));
            }
            if (iommuGone) {
                return 0;
            }
            int best = 0;
            for (VfioIommuDriver d : core.drivers()) {
                best = Math.max(best, d.checkExtension(ext));
            }
            return best;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** vfio_ioctl_set_iommu: needs a group, at most once; ENODEV if no driver takes the type. */
    private void setIommu(long type) {
        lock.writeLock().lock();
        try {
            checkOpen();
            if (iommuGone) {
                throw new ErrnoException(Errno.ENODEV, "the IOMMU driver of container " + fd + " has gone");
            }
            if (groups.isEmpty()) {
                throw new ErrnoException(Errno.EINVAL, "container " + fd + " has no group: set one first");
            }
            if (iommu != null) {
                throw new ErrnoException(Errno.EINVAL, "container " + fd + " already has an IOMMU");
            }
            ErrnoException last = new ErrnoException(Errno.ENODEV, "no IOMMU driver supports type " + type);
            for (VfioIommuDriver candidate : core.drivers()) {
                if (type != (int) type || candidate.checkExtension((int) type) <= 0) {
                    continue;
                }
                VfioIommu opened;
                try {
                    opened = candidate.open((int) type, vm);
                } catch (ErrnoException e) {
                    last = e;
                    continue;
                }
                List<GroupImpl> attached = new ArrayList<>();
                try {
                    for (GroupImpl group : groups) {
                        opened.attachGroup(group);
                        attached.add(group);
                    }
                } catch (ErrnoException e) {
                    for (GroupImpl group : attached) {
                        opened.detachGroup(group);
                    }
                    opened.release();
                    last = e;
                    continue;
                }
                driver = candidate;
                iommu = opened;
                return;
            }
            throw last;
        } finally {
            lock.writeLock().unlock();
        }
    }

    boolean hasIommu() {
        lock.readLock().lock();
        try {
            return iommu != null;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The DMA access vendors of devices opened in this container use; EINVAL without an IOMMU. */
    VfioDma dma() {
        lock.readLock().lock();
        try {
            if (iommu == null) {
                throw new ErrnoException(Errno.EINVAL, "container " + fd + " has no IOMMU");
            }
            return iommu.dma();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** VFIO_GROUP_SET_CONTAINER: the IOMMU, if set, attaches the group first. */
    void attachGroup(GroupImpl group) {
        lock.writeLock().lock();
        try {
            if (iommuGone) {
                throw new ErrnoException(Errno.ENODEV, "the IOMMU driver of container " + fd + " has gone");
            }
            if (iommu != null) {
                iommu.attachGroup(group);
            }
            groups.add(group);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** __vfio_group_unset_container: the last group out takes the IOMMU with it. */
    void detachGroup(GroupImpl group) {
        lock.writeLock().lock();
        try {
            if (!groups.remove(group)) {
                return;
            }
            if (iommu != null) {
                iommu.detachGroup(group);
                if (groups.isEmpty()) {
                    releaseIommu();
                }
            }
            if (groups.isEmpty() && fileClosed) {
                core.forget(this);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void releaseIommu() {
        VfioIommu released = iommu;
        iommu = null;
        driver = null;
        released.release();
    }

    /** The IOMMU driver (or all of VFIO, for null) is going away. */
    void driverGone(VfioIommuDriver gone) {
        lock.writeLock().lock();
        try {
            if (iommu != null && (gone == null || gone == driver)) {
                releaseIommu();
                iommuGone = true;
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Closing the file: the container lives on while groups are set to it. */
    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (fileClosed) {
                return;
            }
            fileClosed = true;
            files.forget(this);
            if (groups.isEmpty()) {
                if (iommu != null) {
                    releaseIommu();
                }
                core.forget(this);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "container " + fd + " of " + vm;
    }
}
