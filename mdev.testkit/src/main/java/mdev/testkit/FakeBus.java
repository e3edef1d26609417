package mdev.testkit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevAttributeInfo;
import mdev.core.MdevBus;
import mdev.core.MdevDevice;
import mdev.core.MdevType;

/**
 * A bus in memory, for unit tests of front ends: parents with types and instance counts,
 * devices, and per-device attributes. Not thread-safe except where a test serializes calls
 * itself; every method is {@code synchronized} so readers see a consistent state.
 */
public final class FakeBus implements MdevBus {
    /** parent -> type id -> type; available_instances is kept up to date. */
    private final Map<String, Map<String, MdevType>> parents = new TreeMap<>();
    private final Map<UUID, Device> devices = new LinkedHashMap<>();
    /** The attributes every device has: two read-write ones, a write-only and a read-only one. */
    private final List<MdevAttributeInfo> attributes = List.of(new MdevAttributeInfo("assign_adapter", true, true),
            new MdevAttributeInfo("assign_domain", true, true), new MdevAttributeInfo("reset", false, true),
            new MdevAttributeInfo("state", true, false));
    /** A write of this value fails with EINVAL. */
    public static final String REJECTED_VALUE = "bad";

    /** A device; {@code attrs} holds the values written, comma-joined per attribute. */
    public record Device(UUID uuid, String parent, String type, Map<String, String> attrs) implements MdevDevice {
        @Override
        public int classId() {
            return 1;
        }

        @Override
        public void setClassId(int classId) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Object deviceOps() {
            return null;
        }

        @Override
        public void setDeviceOps(Object ops) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void setIommuDevice(String physicalDevice) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<String> iommuDevice() {
            return Optional.empty();
        }

        @Override
        public void acquire() {
        }

        @Override
        public void release() {
        }

        @Override
        public int openCount() {
            return 0;
        }

        @Override
        public boolean isRemoved() {
            return false;
        }
    }

    /** Adds (or replaces) a parent with these types. */
    public synchronized FakeBus parent(String name, MdevType... types) {
        Map<String, MdevType> byId = new TreeMap<>();
        for (MdevType t : types) {
            byId.put(t.id(), new MdevType(t.id(), name, t.name(), t.description(), t.deviceApi(), t.availableInstances()));
        }
        parents.put(name, byId);
        return this;
    }

    /** A vfio-pci type; its parent is set when it is added to one. */
    public static MdevType type(String id, String name, String description, long instances) {
        return new MdevType(id, "", name, description, "vfio-pci", instances);
    }

    /** The parent goes, and its devices with it. */
    public synchronized void unplug(String parent) {
        parents.remove(parent);
        devices.values().removeIf(d -> d.parent().equals(parent));
    }

    @Override
    public synchronized List<String> parents() {
        return List.copyOf(parents.keySet());
    }

    @Override
    public synchronized List<MdevType> types(String parent) {
        Map<String, MdevType> types = parents.get(parent);
        if (types == null) {
            throw new ErrnoException(Errno.ENODEV, "no parent " + parent);
        }
        return List.copyOf(types.values());
    }

    @Override
    public synchronized List<MdevType> types() {
        return parents.values().stream().flatMap(m -> m.values().stream()).toList();
    }

    @Override
    public synchronized MdevDevice create(String parent, String typeId, UUID uuid) {
        MdevType type = Optional.ofNullable(parents.get(parent)).map(m -> m.get(typeId))
                .orElseThrow(() -> new ErrnoException(Errno.EINVAL, "no type " + typeId + " on " + parent));
        if (devices.containsKey(uuid)) {
            throw new ErrnoException(Errno.EEXIST, "device " + uuid + " exists");
        }
        if (type.availableInstances() == 0) {
            throw new ErrnoException(Errno.ENOSPC, "no instance of " + typeId + " left");
        }
        setInstances(type, type.availableInstances() - 1);
        Device device = new Device(uuid, parent, typeId, new LinkedHashMap<>());
        devices.put(uuid, device);
        return device;
    }

    private synchronized void setInstances(MdevType t, long n) {
        parents.get(t.parent()).put(t.id(), new MdevType(t.id(), t.parent(), t.name(), t.description(), t.deviceApi(), n));
    }

    @Override
    public synchronized void remove(UUID uuid) {
        Device d = devices.remove(uuid);
        if (d == null) {
            throw new ErrnoException(Errno.ENODEV, "no device " + uuid);
        }
        MdevType t = parents.get(d.parent()).get(d.type());
        setInstances(t, t.availableInstances() + 1);
    }

    @Override
    public synchronized List<MdevDevice> devices() {
        return List.copyOf(devices.values());
    }

    @Override
    public synchronized Optional<MdevDevice> device(UUID uuid) {
        return Optional.ofNullable(devices.get(uuid));
    }

    @Override
    public synchronized boolean isBound(UUID uuid) {
        return devices.containsKey(uuid);
    }

    @Override
    public synchronized List<String> attributes(UUID uuid) {
        return attributeInfo(uuid).stream().map(MdevAttributeInfo::name).toList();
    }

    @Override
    public synchronized List<MdevAttributeInfo> attributeInfo(UUID uuid) {
        device(uuid).orElseThrow(() -> new ErrnoException(Errno.ENODEV, "no device " + uuid));
        return attributes;
    }

    @Override
    public synchronized String readAttribute(UUID uuid, String name) {
        if (attributeInfo(uuid).stream().noneMatch(a -> a.name().equals(name) && a.readable())) {
            throw new ErrnoException(Errno.EACCES, name + " cannot be read");
        }
        return devices.get(uuid).attrs().getOrDefault(name, "") + "\n";
    }

    /** The device, for tests to look at. */
    public synchronized Optional<Device> get(UUID uuid) {
        return Optional.ofNullable(devices.get(uuid));
    }

    /** How many devices there are. */
    public synchronized int size() {
        return devices.size();
    }

    @Override
    public synchronized void writeAttribute(UUID uuid, String name, String value) {
        if (attributeInfo(uuid).stream().noneMatch(a -> a.name().equals(name) && a.writable())) {
            throw new ErrnoException(Errno.EACCES, name + " cannot be written");
        }
        if (value.equals(REJECTED_VALUE)) {
            throw new ErrnoException(Errno.EINVAL, name + ": cannot take " + value);
        }
        devices.get(uuid).attrs().merge(name, value, (a, b) -> a + "," + b);
    }
}
