package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.testkit.osgi.Leaks;
import mdev.testkit.osgi.MdevHost;
import mdev.testkit.osgi.Vmm;
import vfio.core.Vfio;
import vfio.core.EventFd;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioIrqSet;
import vfio.core.IommuUapiCodec;
import vfio.type1.IommuModel;
import vfio.user.VfioUserClient;
import samples.mvnet.NetInterface;
import vendor.ccw.Ccw;
import virtio.core.Virtio;
import virtio.core.VirtioBus;

/**
 * Endurance: vendor and class-driver bundles stopped and started again and again while 8
 * threads drive a device of every parent (mtty, mdpy, mbochs, the IOMMU-backed mdsa, a GVT-g
 * vGPU, a ccw subchannel, an AP matrix, an mvnet NIC): config space reads where there is one,
 * ioctls, DMA map and unmap, MSIs of mtty through an eventfd, vSVA rounds on mdsa (a PASID
 * allocated, bound to a guest page table, a MEMMOVE through it, unbound, freed), channel programs
 * on the subchannel (their pages pinned while they run), frames looped through the NIC by the
 * guest virtio-net driver; and a vfio-user client connects, reads and disconnects over and over.
 * Afterwards nothing may be left: devices, device opens, file descriptors, threads (the kit's
 * leak check), memfd mappings in /proc/self/maps, pinned pages, PASIDs, binds and IOMMU domains;
 * each count is printed. The cycles per bundle come from the framework property
 * mdev.soak.cycles (20 in the README's test command; tools/soak runs 1000).
 */
class SoakIT {
    private static final String GPU = "0000:00:02.0";
    private static final String SUBCHANNEL = "0.0.0300";
    /** A device of every parent: its parent, its type, and whether it is a PCI function (has config space). */
    private static final List<String[]> DEVICES = List.of(
            new String[] {"mtty", "mtty-2", "pci"}, new String[] {"mdpy", "mdpy-vga", "pci"},
            new String[] {"mbochs", "mbochs-small", "pci"}, new String[] {"mdsa", "mdsa-1dwq", "pci"},
            new String[] {GPU, "i915-GVTg_V5_4", "pci"}, new String[] {SUBCHANNEL, "vfio_ccw-io", "ccw"},
            new String[] {"matrix", "vfio_ap-passthrough", "ap"}, new String[] {"mvnet", "mvnet-1", "virtio"});
    private static final int MTTY = 0;
    private static final int MDSA = 3;
    /** The virtio-net NIC: a VIRTIO mdev that the guest virtio-net driver of the virtio bus drives. */
    private static final int MVNET = 7;
    /** The ccw subchannel: channel programs in its VMM's RAM, translated with their pages pinned. */
    private static final int CCW = 5;
    private static final List<String> CYCLED = List.of("samples.mtty", "samples.mdpy", "samples.mbochs", "samples.mdsa",
            "vendor.gvt", "vendor.ccw", "vendor.ap", "samples.mvnet", "vfio.mdev", "virtio.mdev", "vfio.user");
    private static final int THREADS = 8;

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;
    @InjectService
    IommuModel iommu;
    @InjectService
    VirtioBus virtioBus;

    /** The devices' open files (null while a device is gone); I/O threads pick theirs here. */
    private final AtomicReferenceArray<VfioDeviceFile> files = new AtomicReferenceArray<>(DEVICES.size());
    private final AtomicReferenceArray<Vmm> vmms = new AtomicReferenceArray<>(DEVICES.size());
    private final List<VfioDeviceFile> stale = new ArrayList<>();
    private final UUID[] uuids = new UUID[DEVICES.size()];
    /** The NIC of the mvnet device (null while it is gone). */
    private final AtomicReference<NetInterface> nic = new AtomicReference<>();
    /** mtty's MSI eventfd, set again on every new open of it. */
    private final EventFd msi = new EventFd();

    private static long memfdMappings() throws IOException {
        try (Stream<String> maps = Files.lines(Path.of("/proc/self/maps"))) {
            return maps.filter(l -> l.contains("memfd:")).count();
        }
    }

    @Test
    void bundlesComeAndGoUnderLoadAndNothingIsLeft() throws Exception {
        int cycles = Integer.parseInt(String.valueOf(context.getProperty("mdev.soak.cycles")).replaceAll("\\D", "").isEmpty()
                ? "3" : String.valueOf(context.getProperty("mdev.soak.cycles")).replaceAll("\\D", ""));
        MdevHost host = MdevHost.of(context);
        Leaks.Snapshot before = host.snapshot();
        long mapsBefore = memfdMappings();
        Path dir = Files.createTempDirectory("soak");
        Path socket = dir.resolve("mtty.sock");
        for (int i = 0; i < DEVICES.size(); i++) {
            uuids[i] = UUID.randomUUID();
        }
        // a device of its own for the vfio-user client: a group opens once, so a device is either the VMM's or a client's
        UUID servedDevice = UUID.randomUUID();
        // the simulated hardware of the vendor bundles: a GPU and a subchannel (the AP bus has its matrix)
        Configuration gpu = configAdmin.getFactoryConfiguration("vendor.gvt.gpu", "soak", "?");
        gpu.update(new Hashtable<>(Map.of("parent", GPU, "generation", "SKL", "aperture.mb", 512, "hidden.mb", 3584)));
        Configuration subchannel = configAdmin.getFactoryConfiguration("vendor.ccw.subchannel", "soak", "?");
        subchannel.update(new Hashtable<>(Map.of("schid", SUBCHANNEL)));
        Configuration served = configAdmin.getFactoryConfiguration("vfio.user.socket", "soak", "?");
        served.update(new Hashtable<>(Map.of("uuid", servedDevice.toString(), "path", socket.toString())));

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong rounds = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong clients = new AtomicLong();
        AtomicLong interrupts = new AtomicLong();
        AtomicLong pasids = new AtomicLong();
        AtomicLong frames = new AtomicLong();
        AtomicLong programs = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        try {
            for (String[] device : DEVICES) {
                host.awaitParent(device[0]);
            }
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < DEVICES.size(); i++) {
                all.add(i);
            }
            recreate(host, all);
            host.bus().create("mtty", "mtty-1", servedDevice);
            for (int t = 0; t < THREADS; t++) {
                int n = t;
                threads.add(start("soak io " + n, running, () -> {
                    int d = n % DEVICES.size();
                    if (d == MVNET) {
                        loopFrame(n, rounds, frames, refused, failures);
                        return;
                    }
                    VfioDeviceFile file = files.get(d);
                    if (file == null) {
                        Thread.onSpinWait();
                        return;
                    }
                    try {
                        if (DEVICES.get(d)[2].equals("pci")) {
                            file.readRegion(Vfio.VFIO_PCI_CONFIG_REGION_INDEX, 0, 4);
                        }
                        file.getInfo();
                        long round = rounds.incrementAndGet();
                        if (d == MTTY && round % 16 == n) {
                            // an MSI raised through SET_IRQS (DATA_NONE), signalled on the eventfd
                            file.setIrqs(VfioIrqSet.none(Vfio.VFIO_IRQ_SET_ACTION_TRIGGER, Vfio.VFIO_PCI_MSI_IRQ_INDEX, 0, 1));
                            interrupts.incrementAndGet();
                        }
                        if (d == CCW && round % 4 == 1) {
                            startProgram(vmms.get(d), file);
                            programs.incrementAndGet();
                        }
                        if (d == MDSA && round % 16 == n) {
                            if (boundMove(vmms.get(d), file)) {
                                pasids.incrementAndGet();
                            } else {
                                refused.incrementAndGet();
                            }
                        }
                        if (round % 64 == n) {
                            Vmm vmm = vmms.get(d);
                            long iova = 0x4000_0000L + n * 0x10_0000L;
                            try {
                                vmm.container().mapDma(Vmm.RAM_VADDR, iova, 0x1000, Vfio.VFIO_DMA_MAP_FLAG_READ);
                                vmm.container().unmapDma(iova, 0x1000);
                            } catch (ErrnoException e) {
                                // while the device is gone its group has left the container, which has then no
                                // IOMMU (EINVAL, as the kernel's) until the device is back
                                if (e.errno() != Errno.EINVAL) {
                                    throw e;
                                }
                                refused.incrementAndGet();
                            }
                        }
                    } catch (ErrnoException e) {
                        if (e.errno() != Errno.ENODEV && e.errno() != Errno.EBADF && e.errno() != Errno.EBUSY) {
                            failures.add(e);
                        } else {
                            refused.incrementAndGet();
                        }
                    }
                }, failures));
            }
            threads.add(start("soak vfio-user client", running, () -> {
                try (VfioUserClient client = VfioUserClient.connect(socket)) {
                    client.regionRead(Vfio.VFIO_PCI_CONFIG_REGION_INDEX, 0, 2);
                    clients.incrementAndGet();
                } catch (IOException | ErrnoException notServedNow) {
                    // the device or vfio.user is between a stop and a start
                    Thread.onSpinWait();
                }
            }, failures));

            for (int c = 0; c < cycles; c++) {
                for (String bundle : CYCLED) {
                    host.stop(bundle);
                    host.start(bundle);
                    List<Integer> gone = new ArrayList<>();
                    for (int i = 0; i < DEVICES.size(); i++) {
                        host.awaitParent(DEVICES.get(i)[0]);
                        if (host.bus().device(uuids[i]).isEmpty() || bundle.equals("vfio.mdev") && i != MVNET
                                || bundle.equals("virtio.mdev") && i == MVNET) {
                            gone.add(i);
                        }
                    }
                    recreate(host, gone);
                    if (host.bus().device(servedDevice).isEmpty()) {
                        host.bus().create("mtty", "mtty-1", servedDevice);
                    }
                }
                assertThat(failures).as("failures other than ENODEV, EBADF, EBUSY under load").isEmpty();
            }
        } finally {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).as("%s stopped", t.getName()).isFalse();
            }
            // the last channel program ends on its own: then no page may stay pinned
            Fixture.await("channel programs' pages unpinned", () -> pinnedPages() == 0);
            nic.set(null);
            if (host.bus().device(uuids[MVNET]).isPresent()) {
                virtioBus.unbind("mdev:" + uuids[MVNET]);   // the guest driver lets go of the device, which can go then
            }
            served.delete();
            gpu.delete();
            subchannel.delete();
            for (int i = 0; i < DEVICES.size(); i++) {
                close(files.getAndSet(i, null));
                Vmm vmm = vmms.getAndSet(i, null);
                if (vmm != null) {
                    vmm.close();
                }
            }
            stale.forEach(SoakIT::close);
            for (UUID uuid : uuids) {
                if (uuid != null && host.bus().device(uuid).isPresent()) {
                    host.bus().remove(uuid);
                }
            }
            Fixture.await("the vfio-user client gone from the served device",
                    () -> host.bus().device(servedDevice).map(d -> d.openCount() == 0).orElse(true));
            if (host.bus().device(servedDevice).isPresent()) {
                host.bus().remove(servedDevice);
            }
            host.close();
        }
        assertThat(failures).isEmpty();
        Leaks.assertNoneSince(host, before, Duration.ofSeconds(10));
        assertThat(iommu.pasids()).as("PASIDs left").isEmpty();
        assertThat(iommu.binds()).as("binds left").isEmpty();
        assertThat(iommu.domains()).as("IOMMU domains left").isEmpty();
        long mapsAfter = memfdMappings();
        Leaks.Snapshot after = host.snapshot();
        System.out.printf("soak: %d cycles of %s; %d I/O rounds, %d refused (ENODEV/EBADF/EBUSY), %d vfio-user clients,"
                + " %d frames looped through mvnet, %d channel programs started (pages pinned now %d), %d MSIs raised (%d signalled), %d PASIDs allocated, bound, copied through and freed; devices %d -> %d, opens %d -> %d,"
                + " file descriptors %d -> %d, threads %d -> %d, memfd mappings %d -> %d, PASIDs %d, binds %d,"
                + " IOMMU domains %d%n",
                cycles, CYCLED, rounds.get(), refused.get(), clients.get(), frames.get(), programs.get(), pinnedPages(), interrupts.get(), msi.count(), pasids.get(),
                before.devices().size(), after.devices().size(),
                before.opens(), after.opens(), before.descriptors().size(), after.descriptors().size(),
                before.threads().size(), after.threads().size(), mapsBefore, mapsAfter, iommu.pasids().size(),
                iommu.binds().size(), iommu.domains().size());
        assertThat(rounds.get()).as("I/O happened").isPositive();
        assertThat(msi.count()).as("MSIs reached the eventfd").isPositive();
        assertThat(frames.get()).as("frames went round through mvnet").isPositive();
        assertThat(programs.get()).as("channel programs ran").isPositive();
        assertThat(pasids.get()).as("PASIDs were bound and copied through").isPositive();
        assertThat(mapsAfter).as("memfd mappings (device memory) back to where they were").isLessThanOrEqualTo(mapsBefore);
    }

    /** Creates the devices at {@code indexes} again (they went with a bundle) and opens them through a fresh VMM. */
    private void recreate(MdevHost host, List<Integer> indexes) {
        for (int i : indexes) {
            VfioDeviceFile old = files.getAndSet(i, null);
            if (old != null) {
                stale.add(old);   // closed at the end: the load may still hold it (EBADF/ENODEV then)
            }
            if (host.bus().device(uuids[i]).isEmpty()) {
                host.bus().create(DEVICES.get(i)[0], DEVICES.get(i)[1], uuids[i]);
            }
            if (i == MVNET) {
                nic.set(Fixture.service(context, NetInterface.class, "(" + Virtio.DEVICE_NAME + "=mdev:" + uuids[i] + ")"));
                continue;
            }
            Fixture.vfioDevice(context, uuids[i]);
            Vmm vmm = vmms.get(i);
            if (vmm == null) {
                // mdsa's VMM is a vSVA one: a nesting container, whose PASIDs bind guest page tables
                vmm = i == MDSA ? host.vmm("soak-" + i, 1 << 20, Vfio.VFIO_TYPE1_NESTING_IOMMU)
                        : host.vmm("soak-" + i, 1 << 20);
                vmms.set(i, vmm);
                if (i == MDSA) {
                    writePageTables(vmm.ram());
                }
            }
            VfioDeviceFile file = vmm.open(uuids[i]);
            if (i == CCW || i == MDSA) {
                try {
                    vmm.mapRam();   // the guest RAM the channel programs are in, at IOVA 0
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.EEXIST) {   // still mapped: the container kept its IOMMU
                        throw e;
                    }
                }
            }
            if (i == MTTY) {
                file.setIrqs(VfioIrqSet.trigger(Vfio.VFIO_PCI_MSI_IRQ_INDEX, 0, msi));
            }
            files.set(i, file);
        }
    }

    /** Where mdsa's guest keeps its page table and the pages it maps (guest physical = IOVA = RAM offset). */
    private static final long TABLES = 0x10000;
    private static final long DATA = 0x20000;
    private static final long RECORD = 0x22000;
    private static final long VA_SRC = 0x40_0000L;
    private static final long VA_DST = 0x40_1000L;
    private static final long VA_RECORD = 0x40_2000L;

    /** A 4-level x86-64 table: VA 0x400000.. -> DATA, DATA + 0x1000, RECORD. */
    private static void writePageTables(java.nio.ByteBuffer ram) {
        java.nio.ByteBuffer le = ram.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
        le.putLong((int) TABLES, TABLES + 0x1003).putLong((int) TABLES + 0x1000, TABLES + 0x2003)
                .putLong((int) TABLES + 0x2010, TABLES + 0x3003);
        le.putLong((int) TABLES + 0x3000, DATA | 3).putLong((int) TABLES + 0x3008, (DATA + 0x1000) | 3)
                .putLong((int) TABLES + 0x3010, RECORD | 3);
    }

    /**
     * A guest's vSVA round on mdsa: allocate a PASID, bind the guest page table to it, one
     * MEMMOVE through the work queue's portal (translated by the nesting walk) whose completion
     * record must say success, unbind, free. Returns false when hot-plug refused a step: no IOMMU
     * while the device is gone (EINVAL), its PASIDs reclaimed meanwhile (ENOENT), the device gone
     * (ENODEV, EBADF); any other errno, or a failed copy on a live device, fails the soak.
     */
    private static boolean boundMove(Vmm vmm, VfioDeviceFile file) {
        int pasid;
        try {
            pasid = vmm.container().allocPasid(1, 1 << 20);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EINVAL) {
                throw e;
            }
            return false;
        }
        IommuUapiCodec.GpasidBind bind = new IommuUapiCodec.GpasidBind(Vfio.IOMMU_PASID_FORMAT_INTEL_VTD,
                IommuUapiCodec.IOMMU_SVA_GPASID_VAL, TABLES, pasid, pasid, 48, 0, 0, 0);
        try {
            vmm.container().bindGuestPgtbl(bind);
            try {
                java.nio.ByteBuffer ram = vmm.ram().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN);
                ram.put((int) RECORD, (byte) 0);
                java.nio.ByteBuffer d = java.nio.ByteBuffer.allocate(64).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                d.putInt(0, pasid).putInt(4, 0x0300000c).putLong(8, VA_RECORD).putLong(16, VA_SRC).putLong(24, VA_DST)
                        .putInt(32, 64);
                file.writeRegion(Vfio.VFIO_PCI_BAR2_REGION_INDEX, 0, d.array());
                int status = ram.get((int) RECORD) & 0xff;
                if (status != 1) {
                    file.getInfo();   // ENODEV if the device went under the copy; else the copy failed
                    throw new AssertionError("MEMMOVE through PASID " + pasid + " completed with status " + status);
                }
            } finally {
                vmm.container().unbindGuestPgtbl(bind);
            }
            vmm.container().freePasid(pasid);
            return true;
        } catch (ErrnoException e) {
            if (e.errno() != Errno.EINVAL && e.errno() != Errno.ENOENT && e.errno() != Errno.ENODEV
                    && e.errno() != Errno.EBADF) {
                throw e;
            }
            try {
                vmm.container().freePasid(pasid);
            } catch (ErrnoException reclaimed) {
                // the container lost its IOMMU, which took the VM's PASIDs
            }
            return false;
        }
    }

    /** Pages pinned in any VM's mappings now. */
    private int pinnedPages() {
        return iommu.mappings().stream().mapToInt(IommuModel.Mapping::pinnedPages).sum();
    }

    /**
     * A guest's START SUBCHANNEL: WRITE 4 bytes, SEEK, READ them back, a chain in the VMM's RAM
     * (whose pages the translation pins until the program ends). EBUSY while the last one runs.
     */
    private static void startProgram(Vmm vmm, VfioDeviceFile file) {
        java.nio.ByteBuffer ram = vmm.ram().duplicate();
        new Ccw.Ccw1(Ccw.CMD_WRITE, Ccw.CCW_FLAG_CC, 4, 0x2000).encode(ram.slice(0x1000, 8));
        new Ccw.Ccw1(Ccw.CMD_SEEK, Ccw.CCW_FLAG_CC, 8, 0x3000).encode(ram.slice(0x1008, 8));
        new Ccw.Ccw1(Ccw.CMD_READ, 0, 4, 0x4000).encode(ram.slice(0x1010, 8));
        java.nio.ByteBuffer region = java.nio.ByteBuffer.allocate(Ccw.IO_REGION_SIZE);
        new Ccw.Orb(0x5eed, 0, true, true, true, false, 0x80, false, false, false, 0x1000).encode(region.slice(Ccw.IO_ORB, 12));
        new Ccw.Scsw(Ccw.SCSW_FCTL_START_FUNC, 0, 0, 0, 0, 0, 0).encode(region.slice(Ccw.IO_SCSW, 12));
        file.writeRegion(0, 0, region.array());
    }

    /** Sends a frame through the NIC, which mvnet loops back to RX, and takes it from there. */
    private void loopFrame(int n, AtomicLong rounds, AtomicLong frames, AtomicLong refused,
            ConcurrentLinkedQueue<Throwable> failures) {
        NetInterface current = nic.get();
        if (current == null) {
            Thread.onSpinWait();
            return;
        }
        byte[] frame = new byte[64];
        java.util.Arrays.fill(frame, 0, 6, (byte) 0xff);
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xb5;
        frame[14] = (byte) n;
        try {
            current.send(frame);
            rounds.incrementAndGet();
            if (current.receive(200, java.util.concurrent.TimeUnit.MILLISECONDS) != null) {
                frames.incrementAndGet();
            } else {
                refused.incrementAndGet();   // the device went while the frame was on its way
            }
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENODEV) {
                failures.add(e);
            } else {
                refused.incrementAndGet();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void close(VfioDeviceFile file) {
        if (file != null) {
            try {
                file.close();
            } catch (ErrnoException gone) {
                // its device went
            }
        }
    }

    private static Thread start(String name, AtomicBoolean running, Runnable round, ConcurrentLinkedQueue<Throwable> failures) {
        Thread t = new Thread(() -> {
            while (running.get()) {
                try {
                    round.run();
                } catch (Throwable e) {
                    failures.add(e);
                }
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return t;
    }
}
