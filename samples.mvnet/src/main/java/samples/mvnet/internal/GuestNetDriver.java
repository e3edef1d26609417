package samples.mvnet.internal;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import samples.mvnet.NetInterface;
import virtio.core.Virtio;
import virtio.core.VirtioDriver;
import virtio.core.VirtioGuestDevice;

/**
 * A guest-side virtio-net driver (a small drivers/net/virtio_net.c): binds every virtio-net
 * device on the bus and offers it as a {@link NetInterface} service.
 */
@Component(service = VirtioDriver.class, property = Virtio.DEVICE_ID + ":Integer=" + Virtio.ID_NET)
public final class GuestNetDriver implements VirtioDriver {
    private final BundleContext context;
    private final Map<VirtioGuestDevice, Bound> bound = new ConcurrentHashMap<>();

    private record Bound(NetInterfaceImpl nic, ServiceRegistration<NetInterface> registration) {
    }

    @Activate
    public GuestNetDriver(BundleContext context) {
        this.context = context;
    }

    @Override
    public void probe(VirtioGuestDevice device) {
        device.negotiate(Virtio.bit(Virtio.F_VERSION_1) | Virtio.bit(MvnetDevice.VIRTIO_NET_F_MAC));
        NetInterfaceImpl nic = new NetInterfaceImpl(device);
        nic.start();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Virtio.DEVICE_NAME, device.name());
        bound.put(device, new Bound(nic, context.registerService(NetInterface.class, nic, props)));
    }

    @Override
    public void remove(VirtioGuestDevice device) {
        Bound b = bound.remove(device);
        if (b == null) {
            return;
        }
        try {
            b.registration().unregister();
        } catch (IllegalStateException alreadyGone) {
            // this bundle is stopping
        }
        b.nic().stop();
    }
}
