package mdev.testkit.osgi;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioIrqSet;
import vfio.core.VmAddressSpace;

/**
 * A VMM as QEMU is one to VFIO: a VM address space with guest RAM at {@link #RAM_VADDR}, a file
 * table, and a type1 container its devices' groups join (type1v2, or the nesting type of vSVA). {@link #open} gives a device's file
 * through the group, as VFIO_GROUP_GET_DEVICE_FD does; {@link #mapRam} maps the RAM at IOVA 0 so
 * devices reach it by DMA. Closing closes the device files, the groups and the container, which
 * drops its mappings.
 */
public final class Vmm implements AutoCloseable {
    /** Where the guest RAM lives in the VMM's address space. */
    public static final long RAM_VADDR = 0x7f00_0000_0000L;

    private final MdevHost host;
    private final VmAddressSpace addressSpace;
    private final ByteBuffer ram;
    private final FileTable files = new FileTable();
    private final VfioContainer container;
    private final List<AutoCloseable> opened = new ArrayList<>();
    private final java.util.Map<UUID, VfioGroup> groups = new java.util.HashMap<>();
    private boolean closed;
    /** The IOMMU type the container gets with its first group (type1v2, or the nesting type for vSVA). */
    private final int iommuType;

    Vmm(MdevHost host, String name, long ramBytes) {
        this(host, name, ramBytes, Vfio.VFIO_TYPE1v2_IOMMU);
    }

    Vmm(MdevHost host, String name, long ramBytes, int iommuType) {
        this.host = host;
        this.iommuType = iommuType;
        this.addressSpace = new VmAddressSpace(name);
        this.ram = addressSpace.allocate(RAM_VADDR, ramBytes);
        this.container = host.vfio().openContainer(addressSpace, files);
    }

    public VmAddressSpace addressSpace() {
        return addressSpace;
    }

    /** The guest RAM as the VMM sees it (IOVA 0 is its first byte once {@link #mapRam} ran). */
    public ByteBuffer ram() {
        return ram;
    }

    public VfioContainer container() {
        return container;
    }

    public FileTable files() {
        return files;
    }

    /** Opens {@code device}'s VFIO file through its group in this VMM's container (type1v2 IOMMU). */
    public synchronized VfioDeviceFile open(UUID device) {
        VfioGroup group = groups.get(device);
        if (group != null && !alive(group)) {
            // the group went with its device or class driver: the device has another one now
            groups.remove(device);
            closeQuietly(group);
            group = null;
        }
        if (group == null) {
            group = host.vfio().openGroup(host.vfio().groupOf(device.toString()), files);
            opened.add(group);
            groups.put(device, group);   // a group opens once: this VMM keeps it for the device
        }
        if ((group.status() & Vfio.VFIO_GROUP_FLAGS_CONTAINER_SET) == 0) {
            group.setContainer(container);
        }
        if (!hasIommu()) {
            // the first group, or the first since the last one left (a container without groups loses its IOMMU)
            container.setIommu(iommuType);
        }
        VfioDeviceFile file = group.getDevice(device.toString());
        opened.add(file);
        return file;
    }

    private static boolean alive(VfioGroup group) {
        try {
            group.status();
            return true;
        } catch (ErrnoException gone) {
            return false;
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception alreadyGone) {
            // nothing left to release
        }
    }

    private boolean hasIommu() {
        try {
            container.iommuInfo();
            return true;
        } catch (ErrnoException noIommu) {
            return false;
        }
    }

    /** Maps all the guest RAM at IOVA 0, readable and writable by devices. */
    public void mapRam() {
        container.mapDma(RAM_VADDR, 0, ram.capacity(), Vfio.VFIO_DMA_MAP_FLAG_READ | Vfio.VFIO_DMA_MAP_FLAG_WRITE);
    }

    /** An eventfd set as the trigger of interrupt {@code index} (vector 0) of {@code file}. */
    public Irq irq(VfioDeviceFile file, int index) {
        EventFd eventFd = new EventFd();
        files.install(eventFd);
        file.setIrqs(VfioIrqSet.trigger(index, 0, eventFd));
        return new Irq(eventFd);
    }

    /** An interrupt's eventfd, as a VMM waits on it. */
    public static final class Irq {
        private final EventFd eventFd;

        Irq(EventFd eventFd) {
            this.eventFd = eventFd;
        }

        /** Waits for the device to signal and returns the count (reset), failing after {@code timeout}. */
        public long await(Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                try {
                    return eventFd.read();
                } catch (ErrnoException notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("no interrupt within " + timeout.toMillis() + " ms");
                    }
                    Thread.onSpinWait();
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new AssertionError("interrupted waiting for an interrupt");
                    }
                }
            }
        }

        /** The signals so far, not reset. */
        public long count() {
            return eventFd.count();
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = opened.size() - 1; i >= 0; i--) {
            try {
                opened.get(i).close();
            } catch (Exception alreadyGone) {
                // a device removed or a bundle stopped meanwhile: its file answers ENODEV, nothing to release
            }
        }
        opened.clear();
        container.close();
    }
}
