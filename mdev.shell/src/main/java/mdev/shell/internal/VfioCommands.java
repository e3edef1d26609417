package mdev.shell.internal;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;
import java.util.UUID;

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
import mdev.core.MdevConstants;
import vfio.core.EventFd;
import vfio.core.Vfio;
import vfio.core.VfioContainer;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioDisplay;
import vfio.core.VfioGroup;
import vfio.core.VfioIommuInfo;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegionInfo;
import vfio.core.VfioService;

/**
 * {@code vfio:*}: containers, groups and device files, driven by hand. Everything opened
 * belongs to the shell session, as fds belong to a process.
 */
@Component(service = VfioCommands.class, property = {
        "osgi.command.scope=vfio",
        "osgi.command.function=container",
        "osgi.command.function=group",
        "osgi.command.function=setcontainer",
        "osgi.command.function=unsetcontainer",
        "osgi.command.function=iommu",
        "osgi.command.function=iommuinfo",
        "osgi.command.function=map",
        "osgi.command.function=unmap",
        "osgi.command.function=open",
        "osgi.command.function=close",
        "osgi.command.function=files",
        "osgi.command.function=info",
        "osgi.command.function=read",
        "osgi.command.function=write",
        "osgi.command.function=readq",
        "osgi.command.function=writeq",
        "osgi.command.function=puts",
        "osgi.command.function=gets",
        "osgi.command.function=irq",
        "osgi.command.function=unmask",
        "osgi.command.function=events",
        "osgi.command.function=reset",
        "osgi.command.function=screenshot" })
public final class VfioCommands {
    private final BundleContext context;
    private final VfioService vfio;

    @Activate
    public VfioCommands(BundleContext context, @Reference VfioService vfio) {
        this.context = context;
        this.vfio = vfio;
    }

    // ---- containers and groups ------------------------------------------------------------

    @Descriptor("open a container for a VM (open /dev/vfio/vfio); prints its fd")
    public void container(CommandSession session, @Descriptor("VM name") String vm) {
        ShellSession s = ShellSession.of(session);
        System.out.println("container " + vfio.openContainer(s.vm(vm), s.files).fd());
    }

    private VfioGroup group(ShellSession s, UUID uuid) {
        int id = vfio.groupOf(uuid.toString());
        VfioGroup group = s.groups.get(id);
        if (group == null) {
            group = vfio.openGroup(id, s.files);
            s.groups.put(id, group);
        }
        return group;
    }

    @Descriptor("open the IOMMU group of a device; prints its number and status")
    public void group(CommandSession session, @Descriptor("device UUID") String uuid) {
        VfioGroup group = group(ShellSession.of(session), Args.uuid(uuid));
        int status = group.status();
        System.out.println("group " + group.id() + " fd " + group.fd()
                + ((status & Vfio.VFIO_GROUP_FLAGS_VIABLE) != 0 ? " viable" : "")
                + ((status & Vfio.VFIO_GROUP_FLAGS_CONTAINER_SET) != 0 ? " container-set" : ""));
    }

    @Descriptor("put a device's group into a container (VFIO_GROUP_SET_CONTAINER)")
    public void setcontainer(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("container fd") String containerFd) {
        ShellSession s = ShellSession.of(session);
        group(s, Args.uuid(uuid)).setContainer(s.container(containerFd));
    }

    @Descriptor("take a device's group out of its container (VFIO_GROUP_UNSET_CONTAINER)")
    public void unsetcontainer(CommandSession session, @Descriptor("device UUID") String uuid) {
        group(ShellSession.of(session), Args.uuid(uuid)).unsetContainer();
    }

    @Descriptor("set a container's IOMMU (VFIO_SET_IOMMU): type1, type1v2 (default) or a number")
    public void iommu(CommandSession session, @Descriptor("container fd") String containerFd,
            @Descriptor("IOMMU type") String... type) {
        int t = type.length == 0 ? Vfio.VFIO_TYPE1v2_IOMMU : switch (type[0]) {
            case "type1" -> Vfio.VFIO_TYPE1_IOMMU;
            case "type1v2" -> Vfio.VFIO_TYPE1v2_IOMMU;
            case "nesting" -> Vfio.VFIO_TYPE1_NESTING_IOMMU;
            default -> Args.intIn(type[0], "IOMMU type", 0, Integer.MAX_VALUE);
        };
        ShellSession.of(session).container(containerFd).setIommu(t);
    }

    @Descriptor("show VFIO_IOMMU_GET_INFO of a container")
    public void iommuinfo(CommandSession session, @Descriptor("container fd") String containerFd) {
        VfioIommuInfo info = ShellSession.of(session).container(containerFd).iommuInfo();
        System.out.printf("flags 0x%x, iova_pgsizes 0x%x%n", info.flags(), info.iovaPgsizes());
        for (VfioIommuInfo.IovaRange r : info.iovaRanges()) {
            System.out.printf("iova range 0x%x-0x%x%n", r.start(), r.end());
        }
        if (info.pasidFormat() != 0) {
            System.out.println("nesting: pasid_format " + info.pasidFormat());
        }
    }

    @Descriptor("map VM memory for DMA (VFIO_IOMMU_MAP_DMA); access r, w or rw (default)")
    public void map(CommandSession session, @Descriptor("container fd") String containerFd,
            @Descriptor("VM virtual address") String vaddr, @Descriptor("IOVA") String iova,
            @Descriptor("size") String size, @Descriptor("r, w or rw") String... access) {
        String a = access.length == 0 ? "rw" : access[0];
        int flags = (a.contains("r") ? Vfio.VFIO_DMA_MAP_FLAG_READ : 0) | (a.contains("w") ? Vfio.VFIO_DMA_MAP_FLAG_WRITE : 0);
        ShellSession.of(session).container(containerFd).mapDma(Args.unsigned(vaddr, "vaddr"), Args.unsigned(iova, "iova"),
                Args.unsigned(size, "size"), flags);
    }

    @Descriptor("unmap an IOVA range (VFIO_IOMMU_UNMAP_DMA); prints the size unmapped")
    public void unmap(CommandSession session, @Descriptor("container fd") String containerFd,
            @Descriptor("IOVA") String iova, @Descriptor("size") String size) {
        long unmapped = ShellSession.of(session).container(containerFd).unmapDma(Args.unsigned(iova, "iova"),
                Args.unsigned(size, "size"));
        System.out.printf("unmapped 0x%x%n", unmapped);
    }

    // ---- device files -------------------------------------------------------------------

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

    @Descriptor("open a device: through its group if this session set it to a container, else directly by UUID")
    public void open(CommandSession session, @Descriptor("device UUID") String uuid) {
        UUID id = Args.uuid(uuid);
        ShellSession s = ShellSession.of(session);
        if (s.devices.containsKey(id)) {
            throw new ErrnoException(Errno.EBUSY, "device " + id + " is already open in this session");
        }
        VfioGroup group = s.groups.get(groupOrMinusOne(id));
        boolean inContainer = group != null && (group.status() & Vfio.VFIO_GROUP_FLAGS_CONTAINER_SET) != 0;
        VfioDeviceFile file = inContainer ? group.getDevice(id.toString()) : find(id).open(s.files);
        s.devices.put(id, file);
        System.out.println("opened " + id + (inContainer ? " in group " + group.id() : ""));
    }

    private int groupOrMinusOne(UUID id) {
        try {
            return vfio.groupOf(id.toString());
        } catch (ErrnoException e) {
            return -1;
        }
    }

    @Descriptor("close a device opened in this session")
    public void close(CommandSession session, @Descriptor("device UUID") String uuid) {
        ShellSession s = ShellSession.of(session);
        VfioDeviceFile file = s.device(uuid);
        UUID id = file.device().uuid();
        s.devices.remove(id);
        s.eventFds.keySet().removeIf(k -> k.startsWith(id + "/"));
        file.close();
        System.out.println("closed " + id);
    }

    @Descriptor("list what this session has open")
    public void files(CommandSession session) {
        ShellSession s = ShellSession.of(session);
        s.groups.forEach((id, g) -> System.out.println("group " + id + " fd " + g.fd()));
        for (UUID id : s.devices.keySet()) {
            System.out.println("device " + id);
        }
    }

    @Descriptor("show VFIO_DEVICE_GET_INFO, every region and every irq of an open device")
    public void info(CommandSession session, @Descriptor("device UUID") String uuid) {
        VfioDeviceFile file = ShellSession.of(session).device(uuid);
        PrintStream out = System.out;
        VfioDeviceInfo info = file.getInfo();
        out.printf("flags 0x%x%s, %d regions, %d irqs%n", info.flags(), deviceFlags(info.flags()), info.numRegions(),
                info.numIrqs());
        for (int i = 0; i < info.numRegions(); i++) {
            VfioRegionInfo r = file.getRegionInfo(i);
            if (r.size() != 0) {
                out.printf("region %d: size 0x%x offset 0x%x flags 0x%x%n", i, r.size(), r.offset(), r.flags());
                for (VfioRegionInfo.Cap cap : r.caps()) {
                    if (cap instanceof VfioRegionInfo.Type type) {
                        out.printf("  cap type %d subtype %d%n", type.type(), type.subtype());
                    } else if (cap instanceof VfioRegionInfo.SparseMmap sparse) {
                        for (VfioRegionInfo.Area area : sparse.areas()) {
                            out.printf("  cap sparse mmap 0x%x+0x%x%n", area.offset(), area.size());
                        }
                    }
                }
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
        String names = Args.bitNames(flags, " ", new int[] { Vfio.VFIO_DEVICE_FLAGS_PCI, Vfio.VFIO_DEVICE_FLAGS_CCW,
            Vfio.VFIO_DEVICE_FLAGS_RESET }, "PCI", "CCW", "RESET");
        return names.isEmpty() ? "" : " (" + names + ")";
    }

    @Descriptor("read bytes of a region; prints them in hex")
    public void read(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("region: bar0..bar5, config or an index") String region,
            @Descriptor("offset in the region") String offset, @Descriptor("number of bytes") String count) {
        System.out.println(Args.hex(ShellSession.of(session).device(uuid).readRegion(Args.region(region),
                Args.unsigned(offset, "offset"), Args.count(count))));
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
        ShellSession.of(session).device(uuid).writeRegion(Args.region(region), Args.unsigned(offset, "offset"), data);
    }

    @Descriptor("read one 64-bit little-endian register of a region; prints it in hex")
    public String readq(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("region: bar0..bar5, config or an index") String region,
            @Descriptor("offset in the region") String offset) {
        byte[] bytes = ShellSession.of(session).device(uuid).readRegion(Args.region(region), Args.unsigned(offset, "offset"), 8);
        return String.format("0x%x", java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong(0));
    }

    @Descriptor("write 64-bit little-endian words to a region in one access (8 words: a 64-byte portal write)")
    public void writeq(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("region: bar0..bar5, config or an index") String region,
            @Descriptor("offset in the region") String offset, @Descriptor("words") String... words) {
        if (words.length == 0) {
            throw new ErrnoException(Errno.EINVAL, "usage: vfio:writeq <uuid> <region> <offset> <u64>...");
        }
        java.nio.ByteBuffer data = java.nio.ByteBuffer.allocate(8 * words.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < words.length; i++) {
            data.putLong(Args.u64(words[i], "word " + i));
        }
        ShellSession.of(session).device(uuid).writeRegion(Args.region(region), Args.unsigned(offset, "offset"), data.array());
    }

    @Descriptor("write a text one byte at a time to one register (e.g. a UART's THR)")
    public void puts(CommandSession session, @Descriptor("device UUID") String uuid, @Descriptor("region") String region,
            @Descriptor("register offset") String offset, @Descriptor("text") String text) {
        VfioDeviceFile file = ShellSession.of(session).device(uuid);
        int index = Args.region(region);
        long at = Args.unsigned(offset, "offset");
        for (byte b : text.getBytes(StandardCharsets.ISO_8859_1)) {
            file.writeRegion(index, at, b);
        }
    }

    @Descriptor("read bytes one at a time from one register (e.g. a UART's RBR); prints them as text")
    public void gets(CommandSession session, @Descriptor("device UUID") String uuid, @Descriptor("region") String region,
            @Descriptor("register offset") String offset, @Descriptor("number of bytes") String count) {
        VfioDeviceFile file = ShellSession.of(session).device(uuid);
        int index = Args.region(region);
        long at = Args.unsigned(offset, "offset");
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
        ShellSession s = ShellSession.of(session);
        VfioDeviceFile file = s.device(uuid);
        int index = Args.irq(irq);
        EventFd eventFd = new EventFd();
        file.setIrqs(VfioIrqSet.trigger(index, 0, eventFd));
        s.eventFds.put(file.device().uuid() + "/" + index, eventFd);
        System.out.println("irq " + index + " -> eventfd " + s.files.numberOf(eventFd));
    }

    @Descriptor("unmask INTx after it fired (VFIO_IRQ_SET_ACTION_UNMASK)")
    public void unmask(CommandSession session, @Descriptor("device UUID") String uuid) {
        ShellSession.of(session).device(uuid)
                .setIrqs(VfioIrqSet.none(Vfio.VFIO_IRQ_SET_ACTION_UNMASK, Vfio.VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
    }

    @Descriptor("read and reset the eventfd counters of a device's irqs")
    public void events(CommandSession session, @Descriptor("device UUID") String uuid) {
        ShellSession s = ShellSession.of(session);
        UUID id = s.device(uuid).device().uuid();
        for (Map.Entry<String, EventFd> e : s.eventFds.entrySet()) {
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
        ShellSession.of(session).device(uuid).reset();
    }

    @Descriptor("write the guest's primary display plane as a PNG (VFIO_DEVICE_QUERY_GFX_PLANE, by dma-buf or region)")
    public String screenshot(CommandSession session, @Descriptor("device UUID") String uuid,
            @Descriptor("PNG file to write") String png) throws java.io.IOException {
        ShellSession s = ShellSession.of(session);
        UUID id = Args.uuid(uuid);
        VfioDeviceFile open = s.devices.get(id);
        // a device not open in this session is opened for the picture (a VMM may hold it: files are many)
        VfioDeviceFile file = open != null ? open : find(id).open(s.files);
        try {
            VfioDisplay.Image image = VfioDisplay.capture(file);
            java.nio.file.Path path = java.nio.file.Path.of(png);
            try (java.io.OutputStream out = java.nio.file.Files.newOutputStream(path)) {
                VfioDisplay.writePng(image, out);
            }
            return image.width() + "x" + image.height() + " -> " + path;
        } finally {
            if (open == null) {
                file.close();
            }
        }
    }
}
