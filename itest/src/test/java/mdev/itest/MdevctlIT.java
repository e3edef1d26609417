package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.mdevctl.Mdevctl;

/**
 * Issue 9: mdevctl's definitions in a real framework: auto devices started when their parent
 * registers (vendor bundles restarted, a subchannel configured later, the bus itself
 * restarted), their attributes written in order, failures left alone, verbs from many threads.
 */
class MdevctlIT extends BusTest {
    static final String AP = "0b5e2a10-7c41-4d0e-9a6b-000000000001";
    static final String SERIAL = "0b5e2a10-7c41-4d0e-9a6b-000000000002";

    @InjectService
    ConfigurationAdmin configAdmin;

    Path root;
    Configuration config;

    @BeforeEach
    void ownRoot() throws Exception {
        root = Files.createTempDirectory("mdevctl-it");
        config = configAdmin.getConfiguration("mdev.mdevctl", "?");
        config.update(new Hashtable<>(Map.of("root", root.toString())));
        mdevctl();
    }

    @AfterEach
    void dropRoot() throws Exception {
        // updated back rather than deleted (see SysfsIT)
        config.update(new Hashtable<>(Map.of("root", context.getProperty("mdev.mdevctl.root"))));
        Fixture.await("mdevctl on its default root", () -> !mdevctlService().root().equals(root));
        Fixture.reset(context);
    }

    Mdevctl mdevctlService() {
        return Fixture.service(context, Mdevctl.class);
    }

    /** The mdevctl service once it runs on this test's root. */
    Mdevctl mdevctl() {
        Fixture.await("mdevctl on " + root, () -> root.equals(mdevctlService().root()));
        return mdevctlService();
    }

    String run(String line) {
        return mdevctl().execute(List.of(line.split(" ")));
    }

    void restart(String bsn) {
        Bundle b = Fixture.bundle(context, bsn);
        Fixture.stop(b);
        Fixture.start(b);
    }

    @Test
    void autoDevicesComeBackWithTheirAttributesWhenTheirVendorRestarts() throws Exception {
        run("define -u " + AP + " -p matrix -t vfio_ap-passthrough --auto");
        run("modify -u " + AP + " --addattr assign_adapter --value 3");
        run("modify -u " + AP + " --addattr assign_domain --value 4");
        run("modify -u " + AP + " --addattr assign_adapter --value 4");
        run("define -u " + SERIAL + " -p mtty -t mtty-2 --auto");
        assertThat(bus.devices()).as("define starts nothing").isEmpty();
        assertThat(Files.readString(root.resolve("etc/mdevctl.d/mtty/" + SERIAL))).isEqualTo("""
                {
                  "mdev_type": "mtty-2",
                  "start": "auto",
                  "attrs": []
                }""");

        restart("vendor.ap");
        restart("samples.mtty");
        Fixture.await("auto devices", () -> bus.device(UUID.fromString(AP)).isPresent()
                && bus.device(UUID.fromString(SERIAL)).isPresent());
        assertThat(bus.readAttribute(UUID.fromString(AP), "matrix")).isEqualTo("03.0004\n04.0004\n");
        assertThat(run("list")).isEqualTo(AP + " matrix vfio_ap-passthrough auto (defined)\n"
                + SERIAL + " mtty mtty-2 auto (defined)\n");
        // the vfio class driver binds them as any other device
        assertThat(Fixture.vfioDevice(context, UUID.fromString(SERIAL))).isNotNull();
    }

    @Test
    void theWholeStackRestartedGivesTheSameDevices() {
        run("define -u " + SERIAL + " -p mtty -t mtty-1 --auto");
        run("start -u " + SERIAL);
        Fixture.stop(Fixture.bundle(context, "mdev.core"));
        Fixture.stop(Fixture.bundle(context, "mdev.mdevctl"));
        Fixture.start(Fixture.bundle(context, "mdev.mdevctl"));
        Fixture.start(Fixture.bundle(context, "mdev.core"));
        bus = Fixture.bus(context);
        Fixture.await("the auto device again", () -> bus.device(UUID.fromString(SERIAL)).isPresent());
        assertThat(run("list -d")).isEqualTo(SERIAL + " mtty mtty-1 auto (active)\n");
    }

    @Test
    void aParentConfiguredLaterGetsItsAutoDevices() throws Exception {
        String schid = "0.0.0300";
        run("define -u " + AP + " -p " + schid + " -t vfio_ccw-io --auto");
        Configuration subchannel = configAdmin.getFactoryConfiguration("vendor.ccw.subchannel", "itest-mdevctl", "?");
        subchannel.update(new Hashtable<>(Map.of("schid", schid)));
        try {
            Fixture.await("the ccw device", () -> bus.device(UUID.fromString(AP)).isPresent());
            assertThat(bus.device(UUID.fromString(AP)).orElseThrow().parent()).isEqualTo(schid);
        } finally {
            subchannel.delete();
            Fixture.await("subchannel gone", () -> !bus.parents().contains(schid));
        }
    }

    @Test
    void aFailingAutoStartIsUndoneAndNotRetried() throws Exception {
        run("define -u " + AP + " -p matrix -t vfio_ap-passthrough --auto");
        // adapter 5 belongs to the host (apmask): the kernel answers EADDRNOTAVAIL
        run("modify -u " + AP + " --addattr assign_adapter --value 5");
        run("define -u " + SERIAL + " -p matrix -t vfio_ap-passthrough --auto");
        restart("vendor.ap");
        Fixture.await("the good one", () -> bus.device(UUID.fromString(SERIAL)).isPresent());
        run("list");   // waits for the auto-starts asked for so far
        assertThat(bus.device(UUID.fromString(AP))).isEmpty();
        assertThat(bus.types("matrix").get(0).availableInstances()).isEqualTo(255L);
        assertThatThrownBy(() -> run("start -u " + AP)).isInstanceOfSatisfying(ErrnoException.class, e -> {
            assertThat(e.errno()).isEqualTo(Errno.EADDRNOTAVAIL);
            assertThat(e.getMessage()).isEqualTo("Failed to write 5 to attribute assign_adapter");
        });
        assertThat(bus.device(UUID.fromString(AP))).isEmpty();
    }

    @Test
    void verbsFromManyThreadsWhileTheVendorRestarts() throws Exception {
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int id = t;
            threads.add(new Thread(() -> {
                try {
                    for (int i = 0; i < 20; i++) {
                        String uuid = String.format("0b5e2a10-7c41-4d0e-9a6b-%06d%06d", id, i);
                        run("define -u " + uuid + " -p mtty -t mtty-1" + (i % 2 == 0 ? " --auto" : ""));
                        run("modify -u " + uuid + " --manual");
                        run("list -d -u " + uuid + " --dumpjson");
                        run("undefine -u " + uuid);
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (int r = 0; r < 5; r++) {
            restart("samples.mtty");
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(failures).isEmpty();
        assertThat(run("list -d")).isEmpty();
        try (var files = Files.list(root.resolve("etc/mdevctl.d/mtty"))) {
            assertThat(files).as("no file stays, no temporary one either").isEmpty();
        }
    }
}
