package virtio.pci.internal;

import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevConstants;
import vfio.core.VfioDevice;
import vfio.core.VfioGroupRegistration;
import vfio.core.VfioService;
import virtio.core.Virtio;
import virtio.core.VirtioBus;
import virtio.core.VirtioDevice;
import virtio.pci.VirtioPciFront;

/**
 * The virtio-pci front. Virtio devices arrive as services; an assigned one is reserved on the
 * virtio bus (no guest driver of the framework takes it) and published as a VFIO device in an
 * IOMMU group of its own, like a VFIO mdev. {@code this} guards the maps and is held while
 * functions are added and removed: it comes before the virtio bus lock and the VFIO group
 * locks in the lock order, and nothing calls back into the front under those.
 */
@Component(service = VirtioPciFront.class, immediate = true)
public final class VirtioPciFrontComponent implements VirtioPciFront {
    private final BundleContext context;
    private final VfioService vfio;
    private final VirtioBus bus;
    /** Devices on the bus by name, with the mdev UUID each has (null for other devices). */
    private final Map<String, Arrived> devices = new HashMap<>();
    private final Map<String, UUID> assignments = new LinkedHashMap<>();
    private final Map<String, Published> published = new HashMap<>();
    private boolean closed;

    private record Arrived(VirtioDevice device, UUID mdev) {
    }

    private record Published(VirtioPciDevice device, VfioGroupRegistration group, ServiceRegistration<VfioDevice> registration) {
    }

    @Activate
    public VirtioPciFrontComponent(BundleContext context, @Reference VfioService vfio, @Reference VirtioBus bus) {
        this.context = context;
        this.vfio = vfio;
        this.bus = bus;
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    synchronized void bindDevice(VirtioDevice device, Map<String, Object> properties) {
        if (closed) {
            return;
        }
        String name = String.valueOf(properties.get(Virtio.DEVICE_NAME));
        Object uuid = properties.get(MdevConstants.UUID);
        devices.put(name, new Arrived(device, uuid == null ? null : UUID.fromString(uuid.toString())));
        if (assignments.containsKey(name)) {
            publish(name);
        }
    }

    synchronized void unbindDevice(VirtioDevice device, Map<String, Object> properties) {
        String name = String.valueOf(properties.get(Virtio.DEVICE_NAME));
        Arrived arrived = devices.get(name);
        if (arrived != null && arrived.device() == device) {
            devices.remove(name);
            withdraw(name);
        }
    }

    @Override
    public synchronized void assign(String device, UUID uuid) {
        if (device == null || device.isEmpty()) {
            throw new ErrnoException(Errno.EINVAL, "no virtio device named");
        }
        if (assignments.containsKey(device)) {
            throw new ErrnoException(Errno.EEXIST, "virtio device " + device + " is a virtio-pci function already ("
                    + assignments.get(device) + ")");
        }
        UUID name = uuid != null ? uuid : mdevUuid(device);
        if (assignments.containsValue(name)) {
            throw new ErrnoException(Errno.EEXIST, "UUID " + name + " names another virtio-pci function");
        }
        assignments.put(device, name);
        bus.reserve(device, true);
        if (devices.containsKey(device)) {
            try {
                publish(device);
            } catch (RuntimeException e) {
                assignments.remove(device);
                bus.reserve(device, false);
                throw e;
            }
        }
    }

    /** The UUID of an mdev's function: the mdev's own, from the device on the bus or its name (mdev:<uuid>). */
    private UUID mdevUuid(String device) {
        Arrived arrived = devices.get(device);
        if (arrived != null && arrived.mdev() != null) {
            return arrived.mdev();
        }
        if (device.startsWith("mdev:")) {
            try {
                return UUID.fromString(device.substring("mdev:".length()));
            } catch (IllegalArgumentException notAUuid) {
                // falls through to the error below
            }
        }
        throw new ErrnoException(Errno.EINVAL, "virtio device " + device + " is not an mdev: give its function a UUID");
    }

    @Override
    public synchronized void unassign(String device) {
        if (!assignments.containsKey(device)) {
            throw new ErrnoException(Errno.ENOENT, "virtio device " + device + " is not a virtio-pci function");
        }
        Published p = published.get(device);
        if (p != null && p.device().function.isOpen()) {
            throw new ErrnoException(Errno.EBUSY, "the virtio-pci function of " + device + " is open");
        }
        withdraw(device);
        assignments.remove(device);
        bus.reserve(device, false);
    }

    @Override
    public synchronized Map<String, UUID> assignments() {
        return Map.copyOf(assignments);
    }

    @Override
    public synchronized boolean present(String device) {
        return published.containsKey(device);
    }

    /** vfio_add_group_dev for the device's function; its VFIO device service last. */
    private void publish(String name) {
        if (published.containsKey(name)) {
            return;
        }
        Arrived arrived = devices.get(name);
        UUID uuid = assignments.get(name);
        VirtioPciFunction function = new VirtioPciFunction(name, arrived.device());
        VirtioPciDevice device = new VirtioPciDevice(uuid, function);
        VfioGroupRegistration group = vfio.addGroupDevice(device);
        try {
            Dictionary<String, Object> props = new Hashtable<>();
            props.put(MdevConstants.UUID, uuid.toString());
            props.put(Virtio.DEVICE_NAME, name);
            props.put("vfio.group", group.groupId());
            published.put(name, new Published(device, group, context.registerService(VfioDevice.class, device, props)));
        } catch (RuntimeException e) {
            group.remove();
            throw e;
        }
    }

    /** Service first, then open files (ENODEV from here on), then the group. */
    private void withdraw(String name) {
        Published p = published.remove(name);
        if (p == null) {
            return;
        }
        try {
            p.registration().unregister();
        } catch (IllegalStateException alreadyGone) {
            // unregistered by the framework as this bundle stopped
        }
        p.device().function.markRemoved();
        p.device().shutdown();
        p.group().remove();
    }

    @Deactivate
    synchronized void deactivate() {
        closed = true;
        for (String name : new java.util.ArrayList<>(published.keySet())) {
            withdraw(name);
        }
        for (String name : assignments.keySet()) {
            try {
                bus.reserve(name, false);
            } catch (RuntimeException busGone) {
                // the virtio bus went first
            }
        }
        assignments.clear();
        devices.clear();
    }
}
