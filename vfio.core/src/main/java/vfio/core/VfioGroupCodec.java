package vfio.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** Byte-exact codec of the group ioctls' arguments. */
public final class VfioGroupCodec {
    /*
     * struct vfio_group_status {
     *     __u32 argsz;   0
     *     __u32 flags;   4
     * };                 8 = minsz (offsetofend flags)
     */
    public static final int STATUS_ARGSZ = 0;
    public static final int STATUS_FLAGS = 4;
    public static final int STATUS_MINSZ = 8;
    /** VFIO_GROUP_SET_CONTAINER takes an {@code int32_t *} to the container fd. */
    public static final int CONTAINER_FD_SIZE = 4;
    /** strndup_user(arg, PAGE_SIZE) bounds the device name of GET_DEVICE_FD. */
    public static final int DEVICE_NAME_MAX = 4096;

    private VfioGroupCodec() {
    }

    // ---- kernel side --------------------------------------------------------------------

    /** Checks a vfio_group_status and fills in {@code flags}. */
    public static void putStatus(ByteBuffer arg, int flags) {
        if (arg == null || arg.remaining() < STATUS_MINSZ) {
            throw new ErrnoException(Errno.EFAULT, "vfio_group_status needs " + STATUS_MINSZ + " bytes");
        }
        arg.order(ByteOrder.LITTLE_ENDIAN);
        int base = arg.position();
        int argsz = arg.getInt(base + STATUS_ARGSZ);
        if (Integer.compareUnsigned(argsz, STATUS_MINSZ) < 0) {
            throw new ErrnoException(Errno.EINVAL, "vfio_group_status.argsz " + Integer.toUnsignedString(argsz)
                    + " < minsz " + STATUS_MINSZ);
        }
        arg.putInt(base + STATUS_FLAGS, flags);
    }

    /** The container fd SET_CONTAINER points to. */
    public static int containerFd(ByteBuffer arg) {
        if (arg == null || arg.remaining() < CONTAINER_FD_SIZE) {
            throw new ErrnoException(Errno.EFAULT, "VFIO_GROUP_SET_CONTAINER needs an int32 container fd");
        }
        return arg.order(ByteOrder.LITTLE_ENDIAN).getInt(arg.position());
    }

    /** The NUL-terminated device name GET_DEVICE_FD points to. */
    public static String deviceName(ByteBuffer arg) {
        if (arg == null) {
            throw new ErrnoException(Errno.EFAULT, "VFIO_GROUP_GET_DEVICE_FD needs a device name");
        }
        int base = arg.position();
        for (int i = 0; i < arg.remaining(); i++) {
            if (arg.get(base + i) == 0) {
                byte[] name = new byte[i];
                arg.get(base, name);
                return new String(name, StandardCharsets.UTF_8);
            }
            if (i >= DEVICE_NAME_MAX - 1) {
                throw new ErrnoException(Errno.EINVAL, "device name longer than " + (DEVICE_NAME_MAX - 1) + " bytes");
            }
        }
        throw new ErrnoException(Errno.EFAULT, "device name is not NUL-terminated within the buffer");
    }

    // ---- user side ----------------------------------------------------------------------

    public static int getStatus(VfioGroup group) {
        ByteBuffer b = ByteBuffer.allocate(STATUS_MINSZ).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(STATUS_ARGSZ, STATUS_MINSZ);
        group.ioctl(Vfio.VFIO_GROUP_GET_STATUS, b);
        return b.getInt(STATUS_FLAGS);
    }

    public static void setContainer(VfioGroup group, int containerFd) {
        ByteBuffer b = ByteBuffer.allocate(CONTAINER_FD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, containerFd);
        group.ioctl(Vfio.VFIO_GROUP_SET_CONTAINER, b);
    }

    /** A NUL-terminated name as GET_DEVICE_FD takes it. */
    public static ByteBuffer deviceNameArg(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(bytes.length + 1);
        b.put(bytes).put((byte) 0).flip();
        return b;
    }
}
