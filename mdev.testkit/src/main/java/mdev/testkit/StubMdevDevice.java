package mdev.testkit;

import java.util.Optional;
import java.util.UUID;

import mdev.core.MdevDevice;

/**
 * The device slot a parent's {@code create} fills, for unit tests of a vendor parent outside the
 * bus: it keeps the class id, device ops and IOMMU device the parent sets, and counts opens
 * ({@link #acquire}/{@link #release}).
 */
public final class StubMdevDevice implements MdevDevice {
    private final UUID uuid;
    private final String parent;
    private final String type;
    private volatile int classId;
    private volatile Object ops;
    private volatile String iommuDevice;
    private int opens;

    public StubMdevDevice(String parent, String type) {
        this(UUID.randomUUID(), parent, type);
    }

    public StubMdevDevice(UUID uuid, String parent, String type) {
        this.uuid = uuid;
        this.parent = parent;
        this.type = type;
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
        return classId;
    }

    @Override
    public void setClassId(int classId) {
        this.classId = classId;
    }

    @Override
    public Object deviceOps() {
        return ops;
    }

    @Override
    public void setDeviceOps(Object ops) {
        this.ops = ops;
    }

    @Override
    public void setIommuDevice(String physicalDevice) {
        this.iommuDevice = physicalDevice;
    }

    @Override
    public Optional<String> iommuDevice() {
        return Optional.ofNullable(iommuDevice);
    }

    @Override
    public synchronized void acquire() {
        opens++;
    }

    @Override
    public synchronized void release() {
        opens--;
    }

    @Override
    public synchronized int openCount() {
        return opens;
    }

    @Override
    public boolean isRemoved() {
        return false;
    }
}
