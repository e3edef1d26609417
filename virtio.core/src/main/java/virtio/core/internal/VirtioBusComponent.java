package virtio.core.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import virtio.core.Virtio;
import virtio.core.VirtioBus;
import virtio.core.VirtioDevice;
import virtio.core.VirtioDriver;
import mdev.log.Logs;

/**
 * The virtio bus (Linux's drivers/virtio/virtio.c): devices and drivers both arrive as
 * services; a driver of a device's id probes it; either leaving removes the driver from the
 * device, which is then reset. {@code lock} serialises all of this and is held while drivers
 * probe and remove; devices are called from under it.
 */
@Component(service = VirtioBus.class, immediate = true)
public final class VirtioBusComponent implements VirtioBus {
    private static final Logger LOG = Logs.of(VirtioBusComponent.class);

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<VirtioDevice, Integer> devices = new LinkedHashMap<>();
    private final Map<VirtioDriver, Integer> drivers = new LinkedHashMap<>();
    private final Map<VirtioDevice, Binding> bindings = new LinkedHashMap<>();
    /** Devices a user unbound: no driver takes them until {@link #bind}. */
    private final java.util.Set<VirtioDevice> held = new java.util.HashSet<>();
    /** Names no driver may take (reserve): kept while the device comes and goes. */
    private final java.util.Set<String> reserved = new java.util.HashSet<>();
    private boolean closed;

    private record Binding(VirtioDriver driver, GuestDeviceImpl guest) {
    }

    private static int id(Map<String, Object> properties) {
        Object id = properties.get(Virtio.DEVICE_ID);
        return id instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(id));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindDevice(VirtioDevice device, Map<String, Object> properties) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            devices.put(device, id(properties));
            probeAny(device);
        } finally {
            lock.unlock();
        }
    }

    void unbindDevice(VirtioDevice device) {
        lock.lock();
        try {
            devices.remove(device);
            held.remove(device);
            remove(device);
        } finally {
            lock.unlock();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void bindDriver(VirtioDriver driver, Map<String, Object> properties) {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            int id = id(properties);
            drivers.put(driver, id);
            for (Map.Entry<VirtioDevice, Integer> d : devices.entrySet()) {
                if (d.getValue() == id && !bindings.containsKey(d.getKey()) && !held.contains(d.getKey())
                        && !reserved.contains(d.getKey().name())) {
                    probe(d.getKey(), driver);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    void unbindDriver(VirtioDriver driver) {
        lock.lock();
        try {
            drivers.remove(driver);
            for (Map.Entry<VirtioDevice, Binding> b : new ArrayList<>(bindings.entrySet())) {
                if (b.getValue().driver() == driver) {
                    remove(b.getKey());
                    probeAny(b.getKey());   // another driver of the id may take the device
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The first driver of the device's id that probes it successfully takes it. */
    private void probeAny(VirtioDevice device) {
        if (reserved.contains(device.name())) {
            return;
        }
        for (Map.Entry<VirtioDriver, Integer> d : drivers.entrySet()) {
            if (d.getValue().equals(devices.get(device)) && probe(device, d.getKey())) {
                return;
            }
        }
    }

    private boolean probe(VirtioDevice device, VirtioDriver driver) {
        GuestDeviceImpl guest = new GuestDeviceImpl(device);
        try {
            guest.reset();
            driver.probe(guest);
            bindings.put(device, new Binding(driver, guest));
            return true;
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "driver " + driver.getClass().getName() + " did not bind " + device.name(), e);
            resetQuietly(guest);
            return false;
        }
    }

    private void remove(VirtioDevice device) {
        Binding binding = bindings.remove(device);
        if (binding == null) {
            return;
        }
        try {
            binding.driver().remove(binding.guest());
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "driver " + binding.driver().getClass().getName() + " failed to remove "
                    + device.name(), e);
        }
        resetQuietly(binding.guest());
    }

    private static void resetQuietly(GuestDeviceImpl guest) {
        try {
            guest.reset();
        } catch (RuntimeException gone) {
            // the device is going away itself (ENODEV)
        }
    }

    @Override
    public List<String> devices() {
        lock.lock();
        try {
            List<String> names = new ArrayList<>();
            for (VirtioDevice d : devices.keySet()) {
                names.add(d.name());
            }
            names.sort(null);
            return names;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Optional<String> driverOf(String device) {
        lock.lock();
        try {
            for (Map.Entry<VirtioDevice, Binding> b : bindings.entrySet()) {
                if (b.getKey().name().equals(device)) {
                    return Optional.of(b.getValue().driver().getClass().getName());
                }
            }
            return Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void unbind(String name) {
        lock.lock();
        try {
            VirtioDevice device = named(name);
            held.add(device);
            remove(device);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void bind(String name) {
        lock.lock();
        try {
            VirtioDevice device = named(name);
            held.remove(device);
            if (!bindings.containsKey(device)) {
                probeAny(device);
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void reserve(String name, boolean reserve) {
        lock.lock();
        try {
            if (reserve) {
                reserved.add(name);
            } else {
                reserved.remove(name);
            }
            for (VirtioDevice device : new ArrayList<>(devices.keySet())) {
                if (device.name().equals(name)) {
                    if (reserve) {
                        remove(device);
                    } else if (!bindings.containsKey(device) && !held.contains(device)) {
                        probeAny(device);
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private VirtioDevice named(String name) {
        for (VirtioDevice d : devices.keySet()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new mdev.core.ErrnoException(mdev.core.Errno.ENODEV, "no virtio device '" + name + "' on the bus");
    }

    @Deactivate
    void deactivate() {
        lock.lock();
        try {
            closed = true;
            for (VirtioDevice device : new ArrayList<>(bindings.keySet())) {
                remove(device);
            }
            devices.clear();
            drivers.clear();
        } finally {
            lock.unlock();
        }
    }
}
