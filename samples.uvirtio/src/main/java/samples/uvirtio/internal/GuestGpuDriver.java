package samples.uvirtio.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import samples.uvirtio.UvirtioVga;
import samples.uvirtio.VirtioGpu;
import virtio.core.GuestVirtqueue;
import virtio.core.Virtio;
import virtio.core.VirtioDriver;
import virtio.core.VirtioGuestDevice;

/**
 * A minimal guest virtio-gpu driver: binds every virtio-gpu device, sets up its "control" and
 * "cursor" queues as Linux's virtio-gpu does, and offers it as a {@link VirtioGpu} service
 * that asks the device for its display info.
 */
@Component(service = VirtioDriver.class, property = Virtio.DEVICE_ID + ":Integer=" + Virtio.ID_GPU)
public final class GuestGpuDriver implements VirtioDriver {
    private final BundleContext context;
    private final Map<VirtioGuestDevice, ServiceRegistration<VirtioGpu>> bound = new ConcurrentHashMap<>();

    @Activate
    public GuestGpuDriver(BundleContext context) {
        this.context = context;
    }

    @Override
    public void probe(VirtioGuestDevice device) {
        device.negotiate(Virtio.bit(Virtio.F_VERSION_1));
        List<GuestVirtqueue> queues = device.findVqs(List.of("control", "cursor"), List.of(() -> { }, () -> { }));
        device.driverOk();
        Gpu gpu = new Gpu(device, queues.get(0));
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(Virtio.DEVICE_NAME, device.name());
        bound.put(device, context.registerService(VirtioGpu.class, gpu, props));
    }

    @Override
    public void remove(VirtioGuestDevice device) {
        ServiceRegistration<VirtioGpu> registration = bound.remove(device);
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException alreadyGone) {
                // this bundle is stopping
            }
        }
    }

    /** One bound virtio-gpu device. */
    private static final class Gpu implements VirtioGpu {
        private final VirtioGuestDevice device;
        private final GuestVirtqueue control;
        private long requests;

        Gpu(VirtioGuestDevice device, GuestVirtqueue control) {
            this.device = device;
            this.control = control;
        }

        @Override
        public String device() {
            return device.name();
        }

        @Override
        public synchronized List<Scanout> displayInfo() {
            ByteBuffer cmd = ByteBuffer.allocate(UvirtioVga.CTRL_HDR_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            cmd.putInt(0, UvirtioVga.VIRTIO_GPU_CMD_GET_DISPLAY_INFO);
            Long token = ++requests;
            control.add(List.of(cmd), List.of(UvirtioVga.RESP_DISPLAY_INFO_SIZE), token);
            if (!control.kick()) {
                throw new ErrnoException(Errno.ENODEV, "control queue of " + device.name() + " is not ready");
            }
            GuestVirtqueue.UsedBuffer used = control.poll();
            if (used == null || !token.equals(used.token())) {
                throw new ErrnoException(Errno.EIO, "no reply to GET_DISPLAY_INFO from " + device.name());
            }
            if (used.length() < UvirtioVga.RESP_DISPLAY_INFO_SIZE) {
                throw new ErrnoException(Errno.EIO, "GET_DISPLAY_INFO reply of " + used.length() + " bytes");
            }
            ByteBuffer reply = ByteBuffer.wrap(used.written()).order(ByteOrder.LITTLE_ENDIAN);
            List<Scanout> scanouts = new ArrayList<>();
            for (int i = 0; i < UvirtioVga.VIRTIO_GPU_MAX_SCANOUTS; i++) {
                int at = UvirtioVga.CTRL_HDR_SIZE + i * UvirtioVga.DISPLAY_ONE_SIZE;
                if (reply.getInt(at + 16) != 0) {
                    scanouts.add(new Scanout(i, reply.getInt(at), reply.getInt(at + 4), reply.getInt(at + 8),
                            reply.getInt(at + 12), true));
                }
            }
            return scanouts;
        }
    }
}
