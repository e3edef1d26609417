package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioRegions;

/**
 * (e) 8 threads do region I/O on 8 devices while samples.mtty is stopped and started 100
 * times: no deadlock, no leaked device or thread, and every call succeeds or answers ENODEV.
 */
class ConcurrentHotPlugIT extends BusTest {
    static final int DEVICES = 8;
    static final int CYCLES = 100;

    @Test
    void regionIoWhileTheVendorBundleComesAndGoes() throws Exception {
        Bundle mtty = Fixture.bundle(context, "samples.mtty");
        List<UUID> uuids = new ArrayList<>();
        for (int i = 0; i < DEVICES; i++) {
            uuids.add(UUID.randomUUID());
        }
        createAll(uuids);
        int threadsBefore = Thread.activeCount();

        AtomicBoolean done = new AtomicBoolean();
        AtomicLong successes = new AtomicLong();
        AtomicLong enodevs = new AtomicLong();
        Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < DEVICES; i++) {
            UUID uuid = uuids.get(i);
            byte marker = (byte) (0x10 + i);
            Thread t = new Thread(() -> drive(uuid, marker, done, successes, enodevs, unexpected), "io-" + i);
            workers.add(t);
            t.start();
        }

        for (int cycle = 0; cycle < CYCLES && unexpected.isEmpty(); cycle++) {
            Fixture.stop(mtty);
            assertThat(bus.devices()).isEmpty();
            Fixture.start(mtty);
            Fixture.awaitParent(bus, "mtty");
            createAll(uuids);
        }
        done.set(true);
        for (Thread t : workers) {
            t.join(Fixture.TIMEOUT_MS);
            assertThat(t.isAlive()).as("worker %s finished (no deadlock)", t.getName()).isFalse();
        }

        assertThat(unexpected).as("only successes and ENODEV").isEmpty();
        assertThat(ManagementFactory.getThreadMXBean().findDeadlockedThreads()).isNull();
        assertThat(successes.get()).isPositive();
        assertThat(enodevs.get()).as("the stops were seen by the workers").isPositive();
        assertThat(bus.devices()).hasSize(DEVICES);
        for (UUID uuid : uuids) {
            assertThat(bus.device(uuid).orElseThrow().openCount()).as("no open left behind").isZero();
        }
        assertThat(bus.types("mtty").get(0).availableInstances()).isEqualTo(24 - DEVICES);
        // A leak per cycle would show as a hundred threads; the margin is for threads the
        // framework may start once on its own.
        assertThat(Thread.activeCount()).as("no thread leaked").isLessThanOrEqualTo(threadsBefore + 4);
    }

    private void createAll(List<UUID> uuids) {
        for (UUID uuid : uuids) {
            bus.create("mtty", "mtty-1", uuid);
        }
    }

    /** Opens its device whenever it is there and writes/reads the scratch register. */
    private void drive(UUID uuid, byte marker, AtomicBoolean done, AtomicLong successes, AtomicLong enodevs,
            Queue<Throwable> unexpected) {
        ByteBuffer one = ByteBuffer.allocate(1);
        long scr = VfioRegions.position(0, 7);
        VfioDeviceFile file = null;
        try {
            while (!done.get()) {
                try {
                    if (file == null) {
                        VfioDevice device = Fixture.vfioDeviceOrNull(context, uuid);
                        if (device == null) {
                            Thread.onSpinWait();
                            continue;
                        }
                        file = device.open(new FileTable());
                    }
                    one.clear().put(0, marker);
                    file.write(one, scr);
                    one.clear();
                    file.read(one, scr);
                    if (one.get(0) != marker) {
                        unexpected.add(new AssertionError("scratch register read " + one.get(0) + " not " + marker));
                    }
                    successes.incrementAndGet();
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.ENODEV) {
                        unexpected.add(e);
                        return;
                    }
                    enodevs.incrementAndGet();
                    if (file != null) {
                        file.close();
                        file = null;
                    }
                }
            }
        } catch (Throwable t) {
            unexpected.add(t);
        } finally {
            if (file != null) {
                file.close();
            }
        }
    }
}
