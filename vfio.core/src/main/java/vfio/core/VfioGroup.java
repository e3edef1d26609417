package vfio.core;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An open group ({@code /dev/vfio/<id>}). Its ioctls: GET_STATUS (struct), SET_CONTAINER
 * (an int32 container fd), UNSET_CONTAINER (none), GET_DEVICE_FD (a NUL-terminated device
 * name; returns the new device fd in the caller's file table).
 */
@ProviderType
public interface VfioGroup extends AutoCloseable {
    int id();

    /** This group's number in the file table it was opened with. */
    int fd();

    long ioctl(int cmd, ByteBuffer arg);

    /** Closes the group file; a group left without open devices leaves its container. */
    @Override
    void close();

    /** VFIO_GROUP_GET_STATUS flags: VIABLE, CONTAINER_SET. */
    default int status() {
        return VfioGroupCodec.getStatus(this);
    }

    default void setContainer(VfioContainer container) {
        VfioGroupCodec.setContainer(this, container.fd());
    }

    default void unsetContainer() {
        ioctl(Vfio.VFIO_GROUP_UNSET_CONTAINER, null);
    }

    /** VFIO_GROUP_GET_DEVICE_FD by name; the file is also in the caller's file table. */
    VfioDeviceFile getDevice(String name);
}
