package mdev.shell.internal;

import java.io.PrintStream;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevConstants;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegionInfo;

/**
 * {@code vfio:*}: open VFIO devices by UUID and drive them by hand. Open files, eventfds and
 * the file table belong to the shell session, as fds belong to a process.
 */
@Component(service = VfioCommands.class, property = {
        "osgi.command.scope=vfio",
        "osgi.command.function=open",
        "osgi.command.function=close",
        "osgi.command.function=files",
        "osgi.command.function=info",
        "osgi.command.function=read",
        "osgi.command.function=write",
        "osgi.command.function=puts",
        "osgi.command.function=gets",
        "osgi.command.function=irq",
        "osgi.command.function=unmask",
        "osgi.command.function=events",
        "osgi.command.function=reset" })
public final class VfioCommands {
    private static final String STATE = "vfio.session";

    private final BundleContext context;

    /** What one shell session has open. */
    private static final class SessionState {
        final FileTable files = new FileTable();
        final Map<UUID, VfioDeviceFile> open = new LinkedHashMap<>();
        /** Interrupt eventfds by "uuid/irq-index". */
        final Map<String, EventFd> eventFds = new LinkedHashMap<>();
    }

    @Activate
    public VfioCommands(BundleContext context) {
        this.context = context;
    }

    private static SessionState state(CommandSession session) {
        synchronized (session) {
            SessionState s = (SessionState) session.get(STATE);
            if (s == null) {
                s = new SessionState();
                session.put(STATE, s);
            }
            return s;
        }
    }

    private VfioDevice find(UUID uuid) {
        try {
            Collection<ServiceReference<VfioDevice>> refs = context.getServiceReferences(VfioDevice.class,
                    "(" + MdevConstants.UUID + "=" + uuid + ")");
            for (ServiceReference<VfioDevice> ref : refs) {
                VfioDevice device = context.getService(ref);
                if (device != null) {
                    context.ungetService(ref);
                    return device;
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new ErrnoException(Errno.EINVAL, "bad UUID " + uuid);
        }
        throw new ErrnoException(Errno.ENODEV, "no VFIO device " + uuid + " (not created, or not bound to vfio.mdev)");
    }

    private static VfioDeviceFile file(CommandSession session, String uuid) {
        UUID id = Args.uuid(uuid);
        VfioDeviceFile file = state(session).open.get(id);
        if (file == null) {
            throw new ErrnoException(Errno.EBADF, "device " + id + " is not open in this session (vfio:open it)");
        }
        return file;
    }

    @Descriptor("open a VFIO device by its mdev UUID")
    public void open(CommandSession session, @Descriptor("device UUID") String uuid) {
        UUID id = Args.uuid(uuid);
        SessionState s = state(session);
        if (s.open.containsKey(id)) {
            throw new ErrnoException(Errno.EBUSY, "device " + id + " is already open in this session");
        }
        s.open.put(id, find(id).open(s.files));
        System.out.println("opened " + id);
    }

    @Descriptor("close a VFIO device opened in this session")
    public void close(CommandSession session, @Descriptor("device UUID") String uuid) {
        VfioDeviceFile file = file(session, uuid);
        state(session).open.remove(file.device().uuid());
        state(session).eventFds.keySet().removeIf(k -> k.startsWith(file.device().uuid() + "/"));
        file.close();
        System.out.println("closed " + file.device().uuid());
    }

    @Descriptor("list the devices open in this session")
    public void files(CommandSession session) {
        for (UUID id : state(session).open.keySet()) {
            System.out.println(id);
        }
    }

    @Descriptor("show VFIO_DEVICE_GET_INFO, every region and every irq of an open device")
    public void info(CommandSession session, @Descriptor("device UUID") String uuid) {
        VfioDeviceFile file = file(session, uuid);
        PrintStream out = System.out;
        VfioDeviceInfo info = file.getInfo();
        out.printf("flags 0x%x%s, %d regions, %d irqs%n", info.flags(), deviceFlags(info.flags()), info.numRegions(),
                info.numIrqs());
        for (int i = 0; i < info.numRegions(); i++) {
            VfioRegionInfo r = file.getRegionInfo(i);
            if (r.size() != 0) {
                out.printf("region %d: size 0x%x offset 0x%x flags 0x%x%n", i, r.size(), r.offset(), r.flags());
            }
        }
        for (int i = 0; i < info.numIrqs(); i++) {
            try {
                VfioIrqInfo irq = file.getIrqInfo(i);
                out.printf("irq %d: count %d flags 0x%x%n", i, irq.count(), irq.flags());
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EINVAL) {
                    throw e;
                }
            }
        }
    }

    private static String deviceFlags(int flags) {
        StringBuilder sb = new StringBuilder();
        if ((flags & Vfio.VFIO_DEVICE_FLAGS_PCI) != 0) {
            sb.append(" PCI");
        }
        if ((flags & Vfio.VFIO_DEVICE_FLAGS_RESET) != 0) {
            sb.append(" RESET");
        }
        return sb.length() == 0 ? "" : " (" + sb.substring(1) + ")";
    }

    @Descriptor("read bytes of a region; prints them in hex")
    public void read(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("region: bar0..bar5, config or an index") String region,
            @Descriptor("offset in the region") String offset, @Descriptor("number of bytes") String count) {
        System.out.println(Args.hex(file(session, uuid).readRegion(Args.region(region),
                Args.number(offset, "offset"), Args.count(count))));
    }

    @Descriptor("read one byte of a region")
    public void read(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("region") String region, @Descriptor("offset") String offset) {
        read(session, uuid, region, offset, "1");
    }

    @Descriptor("write bytes to a region in one access")
    public void write(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("region: bar0..bar5, config or an index") String region,
            @Descriptor("offset in the region") String offset, @Descriptor("bytes, e.g. 0x41 0x42") String... bytes) {
        if (bytes.length == 0) {
            throw new ErrnoException(Errno.EINVAL, "no bytes to write");
        }
        byte[] data = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            data[i] = Args.octet(bytes[i]);
        }
        file(session, uuid).writeRegion(Args.region(region), Args.number(offset, "offset"), data);
    }

    @Descriptor("write a text one byte at a time to one register (e.g. a UART's THR)")
    public void puts(CommandSession session, @Descriptor("device UUID") String uuid, @Descriptor("region") String region,
            @Descriptor("register offset") String offset, @Descriptor("text") String text) {
        VfioDeviceFile file = file(session, uuid);
        int index = Args.region(region);
        long at = Args.number(offset, "offset");
        for (byte b : text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)) {
            file.writeRegion(index, at, b);
        }
    }

    @Descriptor("read bytes one at a time from one register (e.g. a UART's RBR); prints them as text")
    public void gets(CommandSession session, @Descriptor("device UUID") String uuid, @Descriptor("region") String region,
            @Descriptor("register offset") String offset, @Descriptor("number of bytes") String count) {
        VfioDeviceFile file = file(session, uuid);
        int index = Args.region(region);
        long at = Args.number(offset, "offset");
        int n = Args.count(count);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < n; i++) {
            text.append((char) (file.readRegion(index, at, 1)[0] & 0xff));
        }
        System.out.println(text);
    }

    @Descriptor("give an irq index an eventfd trigger (VFIO_DEVICE_SET_IRQS, ACTION_TRIGGER, DATA_EVENTFD)")
    public void irq(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("irq: intx, msi, req or an index") String irq) {
        VfioDeviceFile file = file(session, uuid);
        int index = Args.irq(irq);
        EventFd eventFd = new EventFd();
        file.setIrqs(VfioIrqSet.trigger(index, 0, eventFd));
        state(session).eventFds.put(file.device().uuid() + "/" + index, eventFd);
        System.out.println("irq " + index + " -> eventfd " + state(session).files.numberOf(eventFd));
    }

    @Descriptor("unmask INTx after it fired (VFIO_IRQ_SET_ACTION_UNMASK)")
    public void unmask(CommandSession session, @Descriptor("device UUID") String uuid) {
        file(session, uuid).setIrqs(VfioIrqSet.none(Vfio.VFIO_IRQ_SET_ACTION_UNMASK, Vfio.VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
    }

    @Descriptor("read and reset the eventfd counters of a device's irqs")
    public void events(CommandSession session, @Descriptor("device UUID") String uuid) {
        UUID id = file(session, uuid).device().uuid();
        for (Map.Entry<String, EventFd> e : state(session).eventFds.entrySet()) {
            if (e.getKey().startsWith(id + "/")) {
                long count;
                try {
                    count = e.getValue().read();
                } catch (ErrnoException again) {
                    count = 0;
                }
                System.out.println("irq " + e.getKey().substring(id.toString().length() + 1) + ": " + count);
            }
        }
    }

    @Descriptor("reset the device (VFIO_DEVICE_RESET)")
    public void reset(CommandSession session, @Descriptor("device UUID") String uuid) {
        file(session, uuid).reset();
    }
}
