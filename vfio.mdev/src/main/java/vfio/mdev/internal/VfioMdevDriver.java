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
import org.osgi.service.component.annotations.Reference;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevClassDriver;
import mdev.core.MdevClassId;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceOps;
import vfio.core.VfioGroupRegistration;
import vfio.core.VfioService;

/**
 * The vfio-mdev class driver (drivers/vfio/mdev/vfio_mdev.c): binds every mdev of class id
 * VFIO, puts it in an IOMMU group of its own and publishes a {@link VfioDevice} service for it
 * that forwards to the device's ops.
 */
@Component(service = MdevClassDriver.class, property = MdevConstants.CLASS_ID + ":Integer=" + MdevClassId.VFIO)
public final class VfioMdevDriver implements MdevClassDriver {
    /** Service property of a VFIO device: the number of its IOMMU group. */
    public static final String VFIO_GROUP = "vfio.group";

    private final BundleContext context;
    private final Map<UUID, Binding> bindings = new ConcurrentHashMap<>();

    private final VfioService vfio;

    private record Binding(VfioMdevDevice device, ServiceRegistration<VfioDevice> registration,
            VfioGroupRegistration group) {
    }

    @Activate
    public VfioMdevDriver(BundleContext context, @Reference VfioService vfio) {
        this.context = context;
        this.vfio = vfio;
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
        // Each mdev gets an IOMMU group of its own (mdev_attach_iommu + vfio_add_group_dev).
        VfioGroupRegistration group = vfio.addGroupDevice(device);
        props.put(VFIO_GROUP, group.groupId());
        ServiceRegistration<VfioDevice> registration;
        try {
            registration = context.registerService(VfioDevice.class, device, props);
        } catch (RuntimeException e) {
            group.remove();
            throw e;
        }
        bindings.put(mdev.uuid(), new Binding(device, registration, group));
    }

    @Override
    public void unbind(MdevDevice mdev) {
        Binding binding = bindings.remove(mdev.uuid());
        if (binding == null) {
            return;
        }
        release(binding);
    }

    /** Service first, then open files (they answer ENODEV from here on), then the group. */
    private static void release(Binding binding) {
        unregister(binding.registration());
        binding.device().shutdown();
        binding.group().remove();
    }

    /** This bundle stops: the bus unbinds our devices when our service goes, this is a backstop. */
    @Deactivate
    void deactivate() {
        for (UUID uuid : bindings.keySet()) {
            Binding binding = bindings.remove(uuid);
            if (binding != null) {
                release(binding);
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
