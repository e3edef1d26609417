package vendor.ccw.internal;

import java.util.Optional;
import java.util.UUID;

import mdev.core.MdevDevice;

/** An mdev as the bus hands it to a parent's create: it keeps what the parent sets. */
final class TestMdev implements MdevDevice {
    final UUID uuid = UUID.randomUUID();
    int classId;
    Object ops;

    public UUID uuid() {
        return uuid;
    }

    public String parent() {
        return "test";
    }

    public String type() {
        return "vfio_ccw-io";
    }

    public int classId() {
        return classId;
    }

    public void setClassId(int classId) {
        this.classId = classId;
    }

    public Object deviceOps() {
        return ops;
    }

    public void setDeviceOps(Object ops) {
        this.ops = ops;
    }

    public void setIommuDevice(String physicalDevice) {
    }

    public Optional<String> iommuDevice() {
        return Optional.empty();
    }

    public void acquire() {
    }

    public void release() {
    }

    public int openCount() {
        return 0;
    }

    public boolean isRemoved() {
        return false;
    }
}
