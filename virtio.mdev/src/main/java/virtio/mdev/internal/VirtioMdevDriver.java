package virtio.mdev.internal;

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
import virtio.core.Virtio;
import virtio.core.VirtioDevice;
import virtio.core.VirtioDeviceHandle;
import virtio.core.VirtioDeviceOps;

/**
 * The virtio-mdev class driver (drivers/virtio/virtio_mdev.c of the virtio-mdev series): binds
 * every mdev of class id VIRTIO and registers it on the virtio bus, where guest drivers probe
 * it. Unbinding takes it off the bus first (its driver is removed and the device reset), then
 * its handle answers ENODEV. While a guest driver uses the device (its status is not 0) the
 * mdev is held open, so removing it answers EBUSY, as for an open VFIO device.
 */
@Component(service = MdevClassDriver.class, property = MdevConstants.CLASS_ID + ":Integer=" + MdevClassId.VIRTIO)
public final class VirtioMdevDriver implements MdevClassDriver {
    private final BundleContext context;
    private final Map<UUID, Binding> bindings = new ConcurrentHashMap<>();

    private record Binding(VirtioDeviceHandle device, ServiceRegistration<VirtioDevice> registration) {
    }

    @Activate
    public VirtioMdevDriver(BundleContext context) {
        this.context = context;
    }

    @Override
    public void bind(MdevDevice mdev) {
        if (!(mdev.deviceOps() instanceof VirtioDeviceOps ops)) {
            throw new ErrnoException(Errno.EINVAL, "device ops of " + mdev.uuid() + " are not VirtioDeviceOps");
        }
        VirtioDeviceHandle device = new VirtioDeviceHandle("mdev:" + mdev.uuid(), ops, inUse -> {
            if (inUse) {
                mdev.acquire();
            } else {
                mdev.release();
            }
        });
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Virtio.DEVICE_ID, ops.getDeviceId());
        props.put(Virtio.DEVICE_NAME, device.name());
        props.put(MdevConstants.UUID, mdev.uuid().toString());
        props.put(MdevConstants.PARENT, mdev.parent());
        props.put(MdevConstants.TYPE, mdev.type());
        props.put(MdevConstants.CLASS_ID, mdev.classId());
        bindings.put(mdev.uuid(), new Binding(device, context.registerService(VirtioDevice.class, device, props)));
    }

    @Override
    public void unbind(MdevDevice mdev) {
        Binding binding = bindings.remove(mdev.uuid());
        if (binding != null) {
            release(binding);
        }
    }

    private static void release(Binding binding) {
        try {
            binding.registration().unregister();
        } catch (IllegalStateException alreadyGone) {
            // unregistered by the framework as this bundle stopped
        }
        binding.device().shutdown();
    }

    @Deactivate
    void deactivate() {
        for (UUID uuid : bindings.keySet()) {
            Binding binding = bindings.remove(uuid);
            if (binding != null) {
                release(binding);
            }
        }
    }
}
