package mdev.core.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevAttribute;
import mdev.core.MdevAttributeInfo;
import mdev.core.MdevBus;
import mdev.core.MdevBusListener;
import mdev.core.MdevClassDriver;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevType;
import mdev.core.MdevTypeSpec;
import mdev.log.Logs;

/**
 * The bus logic (kernel mdev_core.c), free of OSGi so it can be unit tested.
 *
 * <p>Lock order, outermost first:
 * <ol>
 * <li>{@code busLock} (this class): parents, devices, class drivers, binding. Every
 * structural change (create, remove, parent or driver arrival and departure) holds it while it
 * calls the vendor's create/remove and the class driver's bind/unbind, so those run one at a
 * time. The I/O path never takes it.</li>
 * <li>a class driver's per-device guard (taken in unbind, and by every call on an open handle);</li>
 * <li>the vendor's per-device lock;</li>
 * <li>{@link MdevDeviceImpl}'s state lock, innermost: nothing is called while it is held.</li>
 * </ol>
 */
public class MdevBusCore implements MdevBus {
    private static final Logger LOG = Logs.of(MdevBusCore.class);

    private final DevicePublisher publisher;
    private final ReentrantLock busLock = new ReentrantLock();
    /** Active parents by name. */
    private final Map<String, MdevParent> parents = new TreeMap<>();
    /** Parents whose name was taken when they arrived; promoted when it frees up. */
    private final List<MdevParent> waitingParents = new ArrayList<>();
    private final Map<UUID, MdevDeviceImpl> devices = new LinkedHashMap<>();
    /** Class drivers by class id; the first of each list is the active one. */
    private final Map<Integer, List<MdevClassDriver>> drivers = new HashMap<>();
    private boolean shutDown;
    /** Told of parents coming and going; copy-on-write so announcing needs no lock. */
    private final List<MdevBusListener> listeners = new CopyOnWriteArrayList<>();

    MdevBusCore(DevicePublisher publisher) {
        this.publisher = publisher;
    }

    // ---- parents -----------------------------------------------------------------------

    public void addParent(MdevParent parent) {
        String name = parent.name();
        busLock.lock();
        try {
            if (shutDown) {
                return;
            }
            if (parents.containsKey(name)) {
                LOG.log(Level.WARNING, "parent ''{0}'' already registered; the new one waits", name);
                waitingParents.add(parent);
                return;
            }
            parents.put(name, parent);
        } finally {
            busLock.unlock();
        }
        announce(name, true);
    }

    /** The parent's service is going away: every device of it goes, open ones included. */
    public void removeParent(MdevParent parent) {
        String name = parent.name();
        boolean promoted = false;
        busLock.lock();
        try {
            if (waitingParents.remove(parent)) {
                return;
            }
            if (parents.get(name) != parent) {
                return;
            }
            for (MdevDeviceImpl device : new ArrayList<>(devices.values())) {
                if (device.parentDriver() == parent) {
                    forceRemove(device);
                }
            }
            parents.remove(name);
            for (MdevParent waiting : waitingParents) {
                if (waiting.name().equals(name)) {
                    waitingParents.remove(waiting);
                    parents.put(name, waiting);
                    promoted = true;
                    break;
                }
            }
        } finally {
            busLock.unlock();
        }
        announce(name, false);
        if (promoted) {
            announce(name, true);
        }
    }

    // ---- listeners ---------------------------------------------------------------------

    public void addListener(MdevBusListener listener) {
        listeners.add(listener);
    }

    public void removeListener(MdevBusListener listener) {
        listeners.remove(listener);
    }

    /** Tells every listener, never under the bus lock; a failing listener is logged and skipped. */
    private void announce(String parent, boolean registered) {
        for (MdevBusListener listener : listeners) {
            try {
                if (registered) {
                    listener.parentRegistered(parent);
                } else {
                    listener.parentUnregistered(parent);
                }
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "bus listener " + listener + " failed on parent " + parent, e);
            }
        }
    }

    @Override
    public List<String> parents() {
        busLock.lock();
        try {
            return List.copyOf(parents.keySet());
        } finally {
            busLock.unlock();
        }
    }

    @Override
    public List<MdevType> types(String parent) {
        busLock.lock();
        try {
            return typesOf(requireParent(parent));
        } finally {
            busLock.unlock();
        }
    }

    @Override
    public List<MdevType> types() {
        busLock.lock();
        try {
            List<MdevType> all = new ArrayList<>();
            for (MdevParent p : parents.values()) {
                all.addAll(typesOf(p));
            }
            return all;
        } finally {
            busLock.unlock();
        }
    }

    private static List<MdevType> typesOf(MdevParent p) {
        List<MdevType> types = new ArrayList<>();
        for (MdevTypeSpec spec : p.supportedTypes()) {
            types.add(new MdevType(typeId(p, spec), p.name(), spec.humanName(), spec.description(),
                    spec.deviceApi(), Math.max(0, p.availableInstances(spec))));
        }
        return types;
    }

    private static String typeId(MdevParent p, MdevTypeSpec spec) {
        return p.driverName() + "-" + spec.name();
    }

    private MdevParent requireParent(String name) {
        MdevParent p = parents.get(Objects.requireNonNull(name, "parent"));
        if (p == null) {
            throw new ErrnoException(Errno.ENODEV, "no parent device '" + name + "'");
        }
        return p;
    }

    // ---- devices -----------------------------------------------------------------------

    @Override
    public MdevDevice create(String parent, String typeId, UUID uuid) {
        Objects.requireNonNull(typeId, "typeId");
        Objects.requireNonNull(uuid, "uuid");
        busLock.lock();
        try {
            if (devices.containsKey(uuid)) {
                throw new ErrnoException(Errno.EEXIST, "device " + uuid + " already exists");
            }
            MdevParent p = requireParent(parent);
            MdevTypeSpec spec = null;
            for (MdevTypeSpec s : p.supportedTypes()) {
                if (typeId(p, s).equals(typeId)) {
                    spec = s;
                }
            }
            if (spec == null) {
                throw new ErrnoException(Errno.EINVAL, "parent '" + parent + "' has no type '" + typeId + "'");
            }
            MdevDeviceImpl device = new MdevDeviceImpl(uuid, p, typeId, spec);
            MdevTypeSpec chosen = spec;
            callVendor(() -> p.create(chosen, device), "create", device);
            if (device.classId() == MdevClassId.NONE || device.deviceOps() == null) {
                String missing = device.classId() == MdevClassId.NONE ? "class id" : "device ops";
                undoCreate(device);
                throw new ErrnoException(Errno.EINVAL,
                        "parent '" + parent + "' set no " + missing + " for device " + uuid);
            }
            device.markLive();
            try {
                device.publication = publisher.publish(device);
            } catch (RuntimeException e) {
                undoCreate(device);
                throw new ErrnoException(Errno.ENODEV, "cannot publish device " + uuid + ": " + e.getMessage(), e);
            }
            devices.put(uuid, device);
            List<MdevClassDriver> candidates = drivers.get(device.classId());
            if (candidates != null && !candidates.isEmpty()) {
                bind(device, candidates.get(0));
            }
            return device;
        } finally {
            busLock.unlock();
        }
    }

    private void undoCreate(MdevDeviceImpl device) {
        device.markRemoved();
        try {
            device.parentDriver().remove(device);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "undoing the create of " + device + " failed", e);
        }
    }

    @Override
    public void remove(UUID uuid) {
        Objects.requireNonNull(uuid, "uuid");
        busLock.lock();
        try {
            MdevDeviceImpl device = devices.get(uuid);
            if (device == null) {
                throw new ErrnoException(Errno.ENODEV, "no device " + uuid);
            }
            device.beginRemove(false);
            // mdev_device_remove_common's order: the class driver lets go (device_del) before the
            // vendor frees the device's state. A vendor that refuses (the kernel only logs it)
            // gets the device back as it was: bound again and live.
            MdevClassDriver driver = device.boundDriver;
            unbind(device);
            try {
                callVendor(() -> device.parentDriver().remove(device), "remove", device);
            } catch (ErrnoException e) {
                device.abortRemove();
                if (driver != null) {
                    bind(device, driver);
                }
                throw e;
            }
            detach(device);
        } finally {
            busLock.unlock();
        }
    }

    /** Removes a device whatever its state: its parent is going away. */
    private void forceRemove(MdevDeviceImpl device) {
        device.beginRemove(true);
        // Unbind first: open handles are closed and calls in flight drain before the vendor
        // frees the device's state.
        unbind(device);
        try {
            device.parentDriver().remove(device);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "vendor remove of " + device + " failed while its parent went away", e);
        }
        detach(device);
    }

    private void detach(MdevDeviceImpl device) {
        unbind(device);
        devices.remove(device.uuid());
        if (device.publication != null) {
            publisher.unpublish(device.publication);
            device.publication = null;
        }
        device.markRemoved();
    }

    private static void callVendor(Runnable call, String what, MdevDeviceImpl device) {
        try {
            call.run();
        } catch (ErrnoException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ErrnoException(Errno.EIO, "vendor " + what + " of " + device + " failed: " + e, e);
        }
    }

    @Override
    public List<MdevDevice> devices() {
        busLock.lock();
        try {
            return List.copyOf(devices.values());
        } finally {
            busLock.unlock();
        }
    }

    @Override
    public Optional<MdevDevice> device(UUID uuid) {
        busLock.lock();
        try {
            return Optional.ofNullable(devices.get(uuid));
        } finally {
            busLock.unlock();
        }
    }

    @Override
    public boolean isBound(UUID uuid) {
        busLock.lock();
        try {
            MdevDeviceImpl d = devices.get(uuid);
            return d != null && d.boundDriver != null;
        } finally {
            busLock.unlock();
        }
    }

    // ---- device attributes -------------------------------------------------------------

    /**
     * Attributes every device of a class gets besides its parent's (services with
     * mdev.class.id, like a bus's driver_override), in arrival order; guarded by busLock.
     */
    private final List<Map.Entry<Integer, MdevAttribute>> classAttributes = new ArrayList<>();

    public void addClassAttribute(int classId, MdevAttribute attribute) {
        busLock.lock();
        try {
            classAttributes.add(Map.entry(classId, attribute));
        } finally {
            busLock.unlock();
        }
    }

    public void removeClassAttribute(MdevAttribute attribute) {
        busLock.lock();
        try {
            classAttributes.removeIf(e -> e.getValue() == attribute);
        } finally {
            busLock.unlock();
        }
    }

    /** The parent's attributes of a device, then those of its class; called with busLock held. */
    private List<MdevAttribute> attributesOf(MdevDeviceImpl device) {
        List<MdevAttribute> all = new ArrayList<>(device.parentDriver().deviceAttributes());
        for (Map.Entry<Integer, MdevAttribute> e : classAttributes) {
            if (e.getKey() == device.classId()) {
                all.add(e.getValue());
            }
        }
        return all;
    }

    @Override
    public List<String> attributes(UUID uuid) {
        busLock.lock();
        try {
            List<String> names = new ArrayList<>();
            for (MdevAttribute a : attributesOf(liveDevice(uuid))) {
                names.add(a.name());
            }
            return names;
        } finally {
            busLock.unlock();
        }
    }

    @Override
    public List<MdevAttributeInfo> attributeInfo(UUID uuid) {
        busLock.lock();
        try {
            List<MdevAttributeInfo> infos = new ArrayList<>();
            for (MdevAttribute a : attributesOf(liveDevice(uuid))) {
                infos.add(new MdevAttributeInfo(a.name(), a.readable(), a.writable()));
            }
            return infos;
        } finally {
            busLock.unlock();
        }
    }

    @Override
    public String readAttribute(UUID uuid, String name) {
        busLock.lock();
        try {
            MdevDeviceImpl device = liveDevice(uuid);
            MdevAttribute attribute = attribute(device, name);
            if (!attribute.readable()) {
                throw new ErrnoException(Errno.EACCES, "attribute " + name + " of " + uuid + " is write-only");
            }
            String[] shown = new String[1];
            callVendor(() -> shown[0] = attribute.show(device), "show of " + name, device);
            return shown[0];
        } finally {
            busLock.unlock();
        }
    }

    @Override
    public void writeAttribute(UUID uuid, String name, String value) {
        Objects.requireNonNull(value, "value");
        busLock.lock();
        try {
            MdevDeviceImpl device = liveDevice(uuid);
            MdevAttribute attribute = attribute(device, name);
            if (!attribute.writable()) {
                throw new ErrnoException(Errno.EACCES, "attribute " + name + " of " + uuid + " is read-only");
            }
            callVendor(() -> attribute.store(device, value), "store of " + name, device);
        } finally {
            busLock.unlock();
        }
    }

    private MdevDeviceImpl liveDevice(UUID uuid) {
        Objects.requireNonNull(uuid, "uuid");
        MdevDeviceImpl device = devices.get(uuid);
        if (device == null || device.isRemoved()) {
            throw new ErrnoException(Errno.ENODEV, "no device " + uuid);
        }
        return device;
    }

    private MdevAttribute attribute(MdevDeviceImpl device, String name) {
        for (MdevAttribute a : attributesOf(device)) {
            if (a.name().equals(name)) {
                return a;
            }
        }
        throw new ErrnoException(Errno.ENOENT, "device " + device.uuid() + " has no attribute '" + name + "'");
    }

    // ---- class drivers -----------------------------------------------------------------

    public void addClassDriver(int classId, MdevClassDriver driver) {
        busLock.lock();
        try {
            if (shutDown) {
                return;
            }
            List<MdevClassDriver> list = drivers.computeIfAbsent(classId, k -> new ArrayList<>());
            list.add(driver);
            if (list.get(0) == driver) {
                bindAll(classId, driver);
            }
        } finally {
            busLock.unlock();
        }
    }

    public void removeClassDriver(MdevClassDriver driver) {
        busLock.lock();
        try {
            for (Map.Entry<Integer, List<MdevClassDriver>> e : drivers.entrySet()) {
                List<MdevClassDriver> list = e.getValue();
                int at = list.indexOf(driver);
                if (at < 0) {
                    continue;
                }
                list.remove(at);
                if (at == 0) {
                    for (MdevDeviceImpl device : devices.values()) {
                        if (device.boundDriver == driver) {
                            unbind(device);
                        }
                    }
                    if (!list.isEmpty()) {
                        bindAll(e.getKey(), list.get(0));
                    }
                }
            }
        } finally {
            busLock.unlock();
        }
    }

    private void bindAll(int classId, MdevClassDriver driver) {
        for (MdevDeviceImpl device : devices.values()) {
            if (device.boundDriver == null && device.classId() == classId
                    && device.state() == MdevDeviceImpl.State.LIVE) {
                bind(device, driver);
            }
        }
    }

    private void bind(MdevDeviceImpl device, MdevClassDriver driver) {
        try {
            driver.bind(device);
            device.boundDriver = driver;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "class driver did not bind " + device + "; it stays unbound", e);
        }
    }

    private void unbind(MdevDeviceImpl device) {
        MdevClassDriver driver = device.boundDriver;
        if (driver == null) {
            return;
        }
        device.boundDriver = null;
        try {
            driver.unbind(device);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "class driver failed to unbind " + device, e);
        }
    }

    /** The bus itself stops: every device goes as if its parent had gone. */
    public void shutdown() {
        busLock.lock();
        try {
            shutDown = true;
            for (MdevDeviceImpl device : new ArrayList<>(devices.values())) {
                forceRemove(device);
            }
            parents.clear();
            waitingParents.clear();
            drivers.clear();
        } finally {
            busLock.unlock();
        }
    }
}
