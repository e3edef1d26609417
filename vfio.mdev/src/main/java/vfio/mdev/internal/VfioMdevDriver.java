package vfio.mdev.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevClassDriver;
import mdev.core.MdevClassId;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceOps;

/**
 * The vfio-mdev class driver (drivers/vfio/mdev/vfio_mdev.c): binds every mdev of class id
 * VFIO and publishes a {@link VfioDevice} service for it that forwards to the device's ops.
 */
@Component(service = MdevClassDriver.class, property = MdevConstants.CLASS_ID + ":Integer=" + MdevClassId.VFIO)
public final class VfioMdevDriver implements MdevClassDriver {
    private final BundleContext context;
    private final Map<UUID, Binding> bindings = new ConcurrentHashMap<>();

    private record Binding(VfioMdevDevice device, ServiceRegistration<VfioDevice> registration) {
    }

    @Activate
    public VfioMdevDriver(BundleContext context) {
        this.context = context;
    }

    @Override
    public void bind(MdevDevice mdev) {
        if (!(mdev.deviceOps() instanceof VfioDeviceOps ops)) {
            throw new ErrnoException(Errno.EINVAL, "device ops of " + mdev.uuid() + " are not VfioDeviceOps");
        }
        VfioMdevDevice device = new VfioMdevDevice(mdev, ops);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(MdevConstants.UUID, mdev.uuid().toString());
        props.put(MdevConstants.PARENT, mdev.parent());
        props.put(MdevConstants.TYPE, mdev.type());
        props.put(MdevConstants.CLASS_ID, mdev.classId());
        ServiceRegistration<VfioDevice> registration = context.registerService(VfioDevice.class, device, props);
        bindings.put(mdev.uuid(), new Binding(device, registration));
    }

    @Override
    public void unbind(MdevDevice mdev) {
        Binding binding = bindings.remove(mdev.uuid());
        if (binding == null) {
            return;
        }
        unregister(binding.registration());
        binding.device().shutdown();
    }

    /** This bundle stops: the bus unbinds our devices when our service goes, this is a backstop. */
    @Deactivate
    void deactivate() {
        for (UUID uuid : bindings.keySet()) {
            Binding binding = bindings.remove(uuid);
            if (binding != null) {
                unregister(binding.registration());
                binding.device().shutdown();
            }
        }
    }

    private static void unregister(ServiceRegistration<?> registration) {
        try {
            registration.unregister();
        } catch (IllegalStateException alreadyGone) {
            // unregistered by the framework as this bundle stopped
        }
    }
}
