package mdev.core;

/** Class ids of mediated devices (include/linux/mod_devicetable.h of the virtio-mdev series). */
public final class MdevClassId {
    /** No class id set yet; a create that leaves it so fails with EINVAL. */
    public static final int NONE = 0;
    /** MDEV_CLASS_ID_VFIO: bound by vfio.mdev. */
    public static final int VFIO = 1;
    /** MDEV_CLASS_ID_VIRTIO: bound by virtio.mdev. */
    public static final int VIRTIO = 2;

    private MdevClassId() {
    }

    public static String name(int classId) {
        return switch (classId) {
            case VFIO -> "vfio";
            case VIRTIO -> "virtio";
            default -> Integer.toString(classId);
        };
    }
}
