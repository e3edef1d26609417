package mdev.core.internal;

import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevClassDriver;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;

/**
 * One device on the bus. Its life: CREATING (inside the parent's create, the only time class id
 * and ops may be set), LIVE, REMOVING (no new opens), REMOVED.
 *
 * <p>{@code stateLock} guards state, class id, ops and the open count; it is the innermost
 * lock of the bus and nothing is called out while it is held. The fields marked "bus" are
 * guarded by the bus lock.
 */
final class MdevDeviceImpl implements MdevDevice {
    enum State { CREATING, LIVE, REMOVING, REMOVED }

    private final UUID uuid;
    private final MdevParent parentDriver;
    private final String parent;
    private final String type;
    private final MdevTypeSpec spec;

    private final Object stateLock = new Object();
    private State state = State.CREATING;
    private int classId = MdevClassId.NONE;
    private Object ops;
    private String iommuDevice;
    private int openCount;

    /* bus */ MdevClassDriver boundDriver;
    /* bus */ Object publication;

    MdevDeviceImpl(UUID uuid, MdevParent parentDriver, String type, MdevTypeSpec spec) {
        this.uuid = uuid;
        this.parentDriver = parentDriver;
        this.parent = parentDriver.name();
        this.type = type;
        this.spec = spec;
    }

    MdevParent parentDriver() {
        return parentDriver;
    }

    MdevTypeSpec spec() {
        return spec;
    }

    @Override
    public UUID uuid() {
        return uuid;
    }

    @Override
    public String parent() {
        return parent;
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public int classId() {
        synchronized (stateLock) {
            return classId;
        }
    }

    @Override
    public void setClassId(int id) {
        if (id <= 0 || id > 0xffff) {
            throw new ErrnoException(Errno.EINVAL, "class id " + id + " out of range 1..65535");
        }
        synchronized (stateLock) {
            requireCreating("class id");
            classId = id;
        }
    }

    @Override
    public Object deviceOps() {
        synchronized (stateLock) {
            return ops;
        }
    }

    @Override
    public void setDeviceOps(Object deviceOps) {
        if (deviceOps == null) {
            throw new ErrnoException(Errno.EINVAL, "device ops of " + uuid + " must not be null");
        }
        synchronized (stateLock) {
            requireCreating("device ops");
            ops = deviceOps;
        }
    }

    @Override
    public void setIommuDevice(String physicalDevice) {
        if (physicalDevice == null || physicalDevice.isEmpty()) {
            throw new ErrnoException(Errno.EINVAL, "the IOMMU device of " + uuid + " needs a name");
        }
        synchronized (stateLock) {
            requireCreating("IOMMU device");
            iommuDevice = physicalDevice;
        }
    }

    @Override
    public java.util.Optional<String> iommuDevice() {
        synchronized (stateLock) {
            return java.util.Optional.ofNullable(iommuDevice);
        }
    }

    private void requireCreating(String what) {
        if (state != State.CREATING) {
            throw new ErrnoException(Errno.EBUSY,
                    "the " + what + " of " + uuid + " can only be set while its parent creates it");
        }
    }

    @Override
    public void acquire() {
        synchronized (stateLock) {
            if (state != State.LIVE) {
                throw new ErrnoException(Errno.ENODEV, "device " + uuid + " is " + stateName());
            }
            openCount++;
        }
    }

    @Override
    public void release() {
        synchronized (stateLock) {
            if (openCount > 0) {
                openCount--;
            }
        }
    }

    @Override
    public int openCount() {
        synchronized (stateLock) {
            return openCount;
        }
    }

    @Override
    public boolean isRemoved() {
        synchronized (stateLock) {
            return state == State.REMOVING || state == State.REMOVED;
        }
    }

    State state() {
        synchronized (stateLock) {
            return state;
        }
    }

    void markLive() {
        synchronized (stateLock) {
            state = State.LIVE;
        }
    }

    /** Enters REMOVING; unless forced, EBUSY while open. */
    void beginRemove(boolean force) {
        synchronized (stateLock) {
            if (state != State.LIVE) {
                throw new ErrnoException(Errno.ENODEV, "device " + uuid + " is " + stateName());
            }
            if (!force && openCount > 0) {
                throw new ErrnoException(Errno.EBUSY,
                        "device " + uuid + " is open (" + openCount + " reference(s))");
            }
            state = State.REMOVING;
        }
    }

    /** Back to LIVE after a vendor remove failed. */
    void abortRemove() {
        synchronized (stateLock) {
            state = State.LIVE;
        }
    }

    void markRemoved() {
        synchronized (stateLock) {
            state = State.REMOVED;
        }
    }

    private String stateName() {
        return switch (state) {
            case CREATING -> "still being created";
            case LIVE -> "live";
            case REMOVING -> "being removed";
            case REMOVED -> "removed";
        };
    }

    @Override
    public String toString() {
        return "mdev " + uuid + " (" + parent + "/" + type + ")";
    }
}
