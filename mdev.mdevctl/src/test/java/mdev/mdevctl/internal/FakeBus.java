package mdev.mdevctl.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevBus;
import mdev.core.MdevDevice;
import mdev.core.MdevType;

/** A bus with parents, types with instance counts, devices and per-device attributes. */
final class FakeBus implements MdevBus {
    /** parent -> type id -> type; available_instances is kept up to date. */
    final Map<String, Map<String, MdevType>> parents = new TreeMap<>();
    final Map<UUID, Device> devices = new LinkedHashMap<>();
    /** Attribute names every device has, and values a write of which fails with EINVAL. */
    final List<String> attributeNames = new ArrayList<>(List.of("assign_adapter", "assign_domain"));
    String rejectedValue = "bad";

    record Device(UUID uuid, String parent, String type, Map<String, String> attrs) implements MdevDevice {
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

    FakeBus parent(String name, MdevType... types) {
        Map<String, MdevType> byId = new TreeMap<>();
        for (MdevType t : types) {
            byId.put(t.id(), new MdevType(t.id(), name, t.name(), t.description(), t.deviceApi(), t.availableInstances()));
        }
        parents.put(name, byId);
        return this;
    }

    static MdevType type(String id, String name, String description, long instances) {
        return new MdevType(id, "", name, description, "vfio-pci", instances);
    }

    void unplug(String parent) {
        parents.remove(parent);
        devices.values().removeIf(d -> d.parent().equals(parent));
    }

    @Override
    public List<String> parents() {
        return List.copyOf(parents.keySet());
    }

    @Override
    public List<MdevType> types(String parent) {
        Map<String, MdevType> types = parents.get(parent);
        if (types == null) {
            throw new ErrnoException(Errno.ENODEV, "no parent " + parent);
        }
        return List.copyOf(types.values());
    }

    @Override
    public List<MdevType> types() {
        return parents.values().stream().flatMap(m -> m.values().stream()).toList();
    }

    @Override
    public MdevDevice create(String parent, String typeId, UUID uuid) {
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

    private void setInstances(MdevType t, long n) {
        parents.get(t.parent()).put(t.id(), new MdevType(t.id(), t.parent(), t.name(), t.description(), t.deviceApi(), n));
    }

    @Override
    public void remove(UUID uuid) {
        Device d = devices.remove(uuid);
        if (d == null) {
            throw new ErrnoException(Errno.ENODEV, "no device " + uuid);
        }
        MdevType t = parents.get(d.parent()).get(d.type());
        setInstances(t, t.availableInstances() + 1);
    }

    @Override
    public List<MdevDevice> devices() {
        return List.copyOf(devices.values());
    }

    @Override
    public Optional<MdevDevice> device(UUID uuid) {
        return Optional.ofNullable(devices.get(uuid));
    }

    @Override
    public boolean isBound(UUID uuid) {
        return devices.containsKey(uuid);
    }

    @Override
    public List<String> attributes(UUID uuid) {
        device(uuid).orElseThrow(() -> new ErrnoException(Errno.ENODEV, "no device " + uuid));
        return List.copyOf(attributeNames);
    }

    @Override
    public String readAttribute(UUID uuid, String name) {
        return devices.get(uuid).attrs().getOrDefault(name, "");
    }

    @Override
    public void writeAttribute(UUID uuid, String name, String value) {
        if (value.equals(rejectedValue)) {
            throw new ErrnoException(Errno.EINVAL, name + ": cannot take " + value);
        }
        devices.get(uuid).attrs().merge(name, value, (a, b) -> a + "," + b);
    }
}
