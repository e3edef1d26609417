package vfio.core.internal;

import java.nio.ByteBuffer;
import java.util.List;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDma;
import vfio.core.VfioDevice;
import vfio.core.VfioGroup;
import vfio.core.VfioGroupCodec;
import vfio.core.VfioIommuGroup;

/**
 * An IOMMU group with its one device (struct vfio_group). Its monitor guards the open file,
 * the container and the count of device files open through it (the kernel's container_users
 * less the group's own).
 */
final class GroupImpl implements VfioIommuGroup {
    final int id;
    final VfioDevice device;

    private GroupFile openFile;
    private ContainerImpl container;
    private int deviceUsers;
    private boolean removed;

    GroupImpl(int id, VfioDevice device) {
        this.id = id;
        this.device = device;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public List<VfioDevice> devices() {
        return List.of(device);
    }

    synchronized VfioGroup open(FileTable files) {
        if (removed) {
            throw new ErrnoException(Errno.ENODEV, "IOMMU group " + id + " has gone");
        }
        if (openFile != null) {
            throw new ErrnoException(Errno.EBUSY, "IOMMU group " + id + " is already open");
        }
        openFile = new GroupFile(files);
        return openFile;
    }

    /** vfio_del_group_dev: the group leaves its container; its file answers ENODEV. */
    synchronized void remove() {
        removed = true;
        leaveContainer();
    }

    private void leaveContainer() {
        if (container != null) {
            ContainerImpl leaving = container;
            container = null;
            leaving.detachGroup(this);
        }
    }

    /** A device file opened through this group has ended. */
    private synchronized void deviceReleased() {
        deviceUsers--;
        if (deviceUsers == 0 && openFile == null) {
            leaveContainer();
        }
    }

    @Override
    public String toString() {
        return "IOMMU group " + id;
    }

    /** The open group file, /dev/vfio/&lt;id&gt;. */
    private final class GroupFile implements VfioGroup {
        private final FileTable files;
        private final int fd;
        private boolean closed;

        GroupFile(FileTable files) {
            this.files = files;
            this.fd = files.install(this);
        }

        @Override
        public int id() {
            return id;
        }

        @Override
        public int fd() {
            return fd;
        }

        private void check() {
            if (closed) {
                throw new ErrnoException(Errno.EBADF, "group file " + fd + " is closed");
            }
            if (removed) {
                throw new ErrnoException(Errno.ENODEV, "IOMMU group " + id + " has gone");
            }
        }

        @Override
        public long ioctl(int cmd, ByteBuffer arg) {
            if (cmd == Vfio.VFIO_GROUP_GET_DEVICE_FD) {
                return getDeviceFd(VfioGroupCodec.deviceName(arg));
            }
            synchronized (GroupImpl.this) {
                check();
                if (cmd == Vfio.VFIO_GROUP_GET_STATUS) {
                    VfioGroupCodec.putStatus(arg, Vfio.VFIO_GROUP_FLAGS_VIABLE
                            | (container != null ? Vfio.VFIO_GROUP_FLAGS_CONTAINER_SET : 0));
                    return 0;
                }
                if (cmd == Vfio.VFIO_GROUP_SET_CONTAINER) {
                    int containerFd = VfioGroupCodec.containerFd(arg);
                    if (container != null) {
                        throw new ErrnoException(Errno.EINVAL, "IOMMU group " + id + " is already in a container");
                    }
                    VfioContainer file = files.get(containerFd, VfioContainer.class);
                    if (!(file instanceof ContainerImpl target)) {
                        throw new ErrnoException(Errno.EINVAL, "fd " + containerFd + " is not a VFIO container");
                    }
                    target.attachGroup(GroupImpl.this);
                    container = target;
                    return 0;
                }
                if (cmd == Vfio.VFIO_GROUP_UNSET_CONTAINER) {
                    if (container == null) {
                        throw new ErrnoException(Errno.EINVAL, "IOMMU group " + id + " is in no container");
                    }
                    if (deviceUsers > 0) {
                        throw new ErrnoException(Errno.EBUSY, "IOMMU group " + id + " has " + deviceUsers
                                + " device file(s) open");
                    }
                    leaveContainer();
                    return 0;
                }
            }
            throw new ErrnoException(Errno.ENOTTY, "unknown group ioctl 0x" + Integer.toHexString(cmd));
        }

        /** VFIO_GROUP_GET_DEVICE_FD: needs a container with an IOMMU; returns the new fd. */
        private int getDeviceFd(String name) {
            VfioDma dma;
            java.util.Optional<vfio.core.VmAddressSpace> guest;
            synchronized (GroupImpl.this) {
                check();
                if (container == null || !container.hasIommu()) {
                    throw new ErrnoException(Errno.EINVAL, "IOMMU group " + id
                            + " needs a container with an IOMMU before its devices open");
                }
                if (!device.name().equals(name)) {
                    throw new ErrnoException(Errno.ENODEV, "IOMMU group " + id + " has no device '" + name + "'");
                }
                dma = container.dma();
                guest = java.util.Optional.of(container.vm());
                deviceUsers++;
            }
            VfioDeviceContext context = new VfioDeviceContext() {
                @Override
                public VfioDma dma() {
                    return dma;
                }

                @Override
                public java.util.Optional<vfio.core.VmAddressSpace> guest() {
                    return guest;
                }
            };
            VfioDeviceFile file;
            try {
                file = device.open(files, context, GroupImpl.this::deviceReleased);
            } catch (RuntimeException e) {
                deviceReleased();
                throw e;
            }
            return files.install(file);
        }

        @Override
        public VfioDeviceFile getDevice(String name) {
            int deviceFd = (int) ioctl(Vfio.VFIO_GROUP_GET_DEVICE_FD, VfioGroupCodec.deviceNameArg(name));
            return files.get(deviceFd, VfioDeviceFile.class);
        }

        /** vfio_group_fops_release: without open devices the group leaves its container. */
        @Override
        public void close() {
            synchronized (GroupImpl.this) {
                if (closed) {
                    return;
                }
                closed = true;
                files.forget(this);
                if (openFile == this) {
                    openFile = null;
                }
                if (deviceUsers == 0) {
                    leaveContainer();
                }
            }
        }
    }
}
