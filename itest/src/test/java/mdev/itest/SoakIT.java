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
import vfio.core.VfioDeviceFile;
import vfio.user.VfioUserClient;

/**
 * Endurance: vendor and class-driver bundles stopped and started again and again while 8
 * threads read config space, make ioctls and map and unmap DMA on devices of every PCI parent,
 * and a vfio-user client connects, reads and disconnects over and over. Afterwards nothing may
 * be left: devices, device opens, file descriptors, threads (the kit's leak check), and memfd
 * mappings in /proc/self/maps; each count is printed. The cycles per bundle come from the
 * framework property mdev.soak.cycles (a few in the README's test command; tools/soak runs
 * 1000).
 */
class SoakIT {
    /** Bundles cycled, and the parent and type of a device each brings. */
    private static final List<String[]> DEVICES = List.of(
            new String[] {"mtty", "mtty-2"}, new String[] {"mdpy", "mdpy-vga"}, new String[] {"mbochs", "mbochs-small"});
    private static final List<String> CYCLED = List.of("samples.mtty", "samples.mdpy", "samples.mbochs", "vfio.mdev",
            "vfio.user");
    private static final int THREADS = 8;

    @InjectBundleContext
    BundleContext context;
    @InjectService
    ConfigurationAdmin configAdmin;

    /** The devices' open files (null while a device is gone); I/O threads pick theirs here. */
    private final AtomicReferenceArray<VfioDeviceFile> files = new AtomicReferenceArray<>(DEVICES.size());
    private final AtomicReferenceArray<Vmm> vmms = new AtomicReferenceArray<>(DEVICES.size());
    private final List<VfioDeviceFile> stale = new ArrayList<>();
    private final UUID[] uuids = new UUID[DEVICES.size()];

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
        Configuration served = configAdmin.getFactoryConfiguration("vfio.user.socket", "soak", "?");
        served.update(new Hashtable<>(Map.of("uuid", servedDevice.toString(), "path", socket.toString())));

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong rounds = new AtomicLong();
        AtomicLong refused = new AtomicLong();
        AtomicLong clients = new AtomicLong();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        try {
            recreate(host, List.of(0, 1, 2));
            host.bus().create("mtty", "mtty-1", servedDevice);
            for (int t = 0; t < THREADS; t++) {
                int n = t;
                threads.add(start("soak io " + n, running, () -> {
                    int d = n % DEVICES.size();
                    VfioDeviceFile file = files.get(d);
                    if (file == null) {
                        Thread.onSpinWait();
                        return;
                    }
                    try {
                        file.readRegion(Vfio.VFIO_PCI_CONFIG_REGION_INDEX, 0, 4);
                        file.getInfo();
                        if (rounds.incrementAndGet() % 64 == n) {
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
                        if (host.bus().device(uuids[i]).isEmpty() || bundle.equals("vfio.mdev")) {
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
            served.delete();
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
        long mapsAfter = memfdMappings();
        Leaks.Snapshot after = host.snapshot();
        System.out.printf("soak: %d cycles of %s; %d I/O rounds, %d refused (ENODEV/EBADF/EBUSY), %d vfio-user clients;"
                + " devices %d -> %d, opens %d -> %d, file descriptors %d -> %d, threads %d -> %d, memfd mappings %d -> %d%n",
                cycles, CYCLED, rounds.get(), refused.get(), clients.get(), before.devices().size(), after.devices().size(),
                before.opens(), after.opens(), before.descriptors().size(), after.descriptors().size(),
                before.threads().size(), after.threads().size(), mapsBefore, mapsAfter);
        assertThat(rounds.get()).as("I/O happened").isPositive();
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
            Fixture.vfioDevice(context, uuids[i]);
            Vmm vmm = vmms.get(i);
            if (vmm == null) {
                vmm = host.vmm("soak-" + i, 1 << 20);
                vmms.set(i, vmm);
            }
            files.set(i, vmm.open(uuids[i]));
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
