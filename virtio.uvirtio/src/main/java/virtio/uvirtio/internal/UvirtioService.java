package virtio.uvirtio.internal;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;
import virtio.core.Virtio;
import virtio.core.VirtioDevice;
import virtio.core.VirtioDeviceHandle;
import virtio.uvirtio.Uvirtio;
import virtio.uvirtio.UvirtioFile;

/**
 * The /dev/uvirtio misc device. Devices it creates are registered on the virtio bus as
 * {@link VirtioDevice} services. When this bundle stops, every one of them goes, STICK ones
 * too: a STICK device outlives the file that created it, not the code that runs it.
 */
@Component(service = Uvirtio.class, immediate = true)
public final class UvirtioService implements Uvirtio {
    private final BundleContext context;
    private final AtomicInteger names = new AtomicInteger();
    /** Devices on the bus by name; guarded by {@code this}. */
    private final Map<String, Registered> devices = new TreeMap<>();
    private boolean closed;

    record Registered(VirtioDeviceHandle device, ServiceRegistration<VirtioDevice> registration) {
    }

    @Activate
    public UvirtioService(BundleContext context) {
        this.context = context;
    }

    @Override
    public UvirtioFile open(VmAddressSpace process) {
        if (process == null) {
            throw new ErrnoException(Errno.EINVAL, "uvirtio is opened by a process with memory");
        }
        return new UvirtioFileImpl(this, process);
    }

    String nextName() {
        return "uvirtio" + names.getAndIncrement();
    }

    /** register_virtio_device. */
    void register(UvirtioDevice device) {
        VirtioDeviceHandle handle = new VirtioDeviceHandle(device.name(), device);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Virtio.DEVICE_ID, device.getDeviceId());
        props.put(Virtio.DEVICE_NAME, device.name());
        synchronized (this) {
            if (closed) {
                throw new ErrnoException(Errno.ENODEV, "uvirtio is stopping");
            }
            devices.put(device.name(), new Registered(handle, context.registerService(VirtioDevice.class, handle, props)));
        }
    }

    /** unregister_virtio_device; false if it is not there. */
    boolean unregister(String name) {
        Registered r;
        synchronized (this) {
            r = devices.remove(name);
        }
        if (r == null) {
            return false;
        }
        try {
            r.registration().unregister();
        } catch (IllegalStateException alreadyGone) {
            // this bundle is stopping
        }
        r.device().shutdown();
        return true;
    }

    @Override
    public synchronized List<String> devices() {
        return List.copyOf(devices.keySet());
    }

    @Override
    public void remove(String device) {
        if (!unregister(device)) {
            throw new ErrnoException(Errno.ENODEV, "no uvirtio device " + device);
        }
    }

    @Deactivate
    void deactivate() {
        List<String> all;
        synchronized (this) {
            closed = true;
            all = new ArrayList<>(devices.keySet());
        }
        for (String name : all) {
            unregister(name);
        }
    }
}
