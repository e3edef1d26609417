package mdev.shell.internal;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import samples.mvnet.NetInterface;
import samples.uvirtio.UvirtioVga;
import samples.uvirtio.VirtioGpu;
import vfio.core.VmAddressSpace;
import virtio.core.Virtio;
import virtio.core.VirtioBus;
import virtio.uvirtio.Uvirtio;

/** {@code virtio:*}: the virtio bus, the mvnet loopback and the uvirtio-vga sample. */
@Component(service = VirtioCommands.class, property = {
        "osgi.command.scope=virtio",
        "osgi.command.function=devices",
        "osgi.command.function=ping",
        "osgi.command.function=vga",
        "osgi.command.function=remove",
        "osgi.command.function=unbind",
        "osgi.command.function=bind" })
public final class VirtioCommands {
    private static final long WAIT_MS = 5_000;

    private final BundleContext context;
    private final VirtioBus bus;
    private final Uvirtio uvirtio;

    @Activate
    public VirtioCommands(BundleContext context, @Reference VirtioBus bus, @Reference Uvirtio uvirtio) {
        this.context = context;
        this.bus = bus;
        this.uvirtio = uvirtio;
    }

    @Descriptor("list the devices on the virtio bus and the driver bound to each")
    public void devices() {
        for (String device : bus.devices()) {
            System.out.println(device + " " + bus.driverOf(device).map(d -> d.substring(d.lastIndexOf('.') + 1))
                    .orElse("(no driver)"));
        }
    }

    /** Waits for the service of {@code type} that a guest driver registered for {@code device}. */
    private <S> S guestService(Class<S> type, String device) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        do {
            try {
                for (ServiceReference<S> ref : context.getServiceReferences(type, "(" + Virtio.DEVICE_NAME + "=" + device + ")")) {
                    S service = context.getService(ref);
                    if (service != null) {
                        return service;
                    }
                }
            } catch (InvalidSyntaxException e) {
                throw new ErrnoException(Errno.EINVAL, "bad device name " + device);
            }
            Thread.sleep(5);
        } while (System.currentTimeMillis() < deadline);
        throw new ErrnoException(Errno.ENODEV, "no guest driver bound " + device + " as " + type.getSimpleName());
    }

    @Descriptor("send a frame through an mvnet device's guest virtio-net driver; prints what comes back on RX")
    public void ping(@Descriptor("mvnet device UUID") String uuid, @Descriptor("payload text") String text)
            throws InterruptedException {
        NetInterface nic = guestService(NetInterface.class, "mdev:" + Args.uuid(uuid));
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        byte[] frame = new byte[14 + payload.length];
        System.arraycopy(nic.mac(), 0, frame, 0, 6);
        System.arraycopy(nic.mac(), 0, frame, 6, 6);
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xb5;
        System.arraycopy(payload, 0, frame, 14, payload.length);
        nic.send(frame);
        byte[] back = nic.receive(WAIT_MS, TimeUnit.MILLISECONDS);
        if (back == null) {
            throw new ErrnoException(Errno.EIO, "nothing came back on RX of " + nic.device());
        }
        System.out.println("rx " + back.length + " bytes: "
                + new String(back, 14, back.length - 14, StandardCharsets.UTF_8));
    }

    @Descriptor("run the uvirtio-vga sample (1024x768, or the given WIDTHxHEIGHT) and show the guest's display info")
    public void vga(CommandSession session, @Descriptor("display mode, e.g. 1280x720") String... mode)
            throws InterruptedException {
        int width = 1024;
        int height = 768;
        if (mode.length > 0) {
            String[] wh = mode[0].toLowerCase().split("x");
            if (wh.length != 2) {
                throw new ErrnoException(Errno.EINVAL, "display mode '" + mode[0] + "' is not WIDTHxHEIGHT");
            }
            width = Args.intIn(wh[0], "width", 0, Integer.MAX_VALUE);
            height = Args.intIn(wh[1], "height", 0, Integer.MAX_VALUE);
        }
        ShellSession s = ShellSession.of(session);
        VmAddressSpace process = s.vms.computeIfAbsent("uvirtio-vga", VmAddressSpace::new);
        String device = UvirtioVga.run(uvirtio, process, width, height);
        System.out.println("created " + device + " (STICK)");
        for (VirtioGpu.Scanout scanout : guestService(VirtioGpu.class, device).displayInfo()) {
            System.out.println("scanout " + scanout.index() + ": " + scanout.width() + "x" + scanout.height()
                    + (scanout.enabled() ? " enabled" : ""));
        }
    }

    @Descriptor("the device's guest driver lets it go, and no driver takes it until virtio:bind")
    public String unbind(@Descriptor("device name, e.g. mdev:<uuid>") String device) {
        bus.unbind(device);
        return "unbound " + device;
    }

    @Descriptor("let guest drivers take the device again")
    public String bind(@Descriptor("device name, e.g. mdev:<uuid>") String device) {
        bus.bind(device);
        return bus.driverOf(device).map(d -> "bound " + device + " to " + d.substring(d.lastIndexOf('.') + 1))
                .orElse(device + " has no driver");
    }

    @Descriptor("remove a STICK device that uvirtio keeps after its file closed")
    public void remove(@Descriptor("device name, e.g. uvirtio0") String device) {
        uvirtio.remove(device);
    }
}
