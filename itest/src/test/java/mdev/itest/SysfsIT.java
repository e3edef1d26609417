package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectService;

import mdev.mdevctl.Mdevctl;
import mdev.sysfs.SysfsMount;

/**
 * Issue 9: the sysfs tree mounted over FUSE from inside the framework, used through files and
 * by Debian's real mdevctl 1.2 (run in a mount namespace whose /sys is the tree and whose
 * /etc/mdevctl.d is our definitions directory): its answers are our own CLI's.
 */
class SysfsIT extends BusTest {
    static final String U1 = "7d1f3a52-0c4e-4b7a-9e55-000000000001";
    static final String U2 = "7d1f3a52-0c4e-4b7a-9e55-000000000002";

    @InjectService
    ConfigurationAdmin configAdmin;

    Path work;
    Path sys;
    Path root;
    Configuration sysfsConfig;
    Configuration mdevctlConfig;

    @BeforeEach
    void mountAndRoot() throws Exception {
        work = Files.createTempDirectory("sysfs-it");
        sys = work.resolve("sys");
        root = work.resolve("root");
        sysfsConfig = configAdmin.getConfiguration("mdev.sysfs", "?");
        sysfsConfig.update(new Hashtable<>(Map.of("mountpoint", sys.toString())));
        mdevctlConfig = configAdmin.getConfiguration("mdev.mdevctl", "?");
        mdevctlConfig.update(new Hashtable<>(Map.of("root", root.toString())));
        awaitMounted();
        try {
            Fixture.await("mdevctl on " + root, () -> ours().root().equals(root));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; mdevctl is on " + ours().root() + ", configurations: "
                    + java.util.Arrays.toString(configAdmin.listConfigurations("(service.pid=mdev.mdevctl)") == null ? null
                            : java.util.Arrays.stream(configAdmin.listConfigurations("(service.pid=mdev.mdevctl)"))
                                    .map(c -> c.getPid() + "=" + c.getProperties() + "@" + c.getBundleLocation()).toArray()), e);
        }
    }

    @AfterEach
    void unmount() throws Exception {
        // updated back rather than deleted: a configuration deleted and made again under the same
        // PID was, now and then, not applied (the component kept its old root for good)
        sysfsConfig.update(new Hashtable<>(Map.of("mountpoint", "")));
        mdevctlConfig.update(new Hashtable<>(Map.of("root", context.getProperty("mdev.mdevctl.root"))));
        Fixture.await("unmounted", () -> !mountinfo().contains(" " + sys + " "));
        Fixture.reset(context);
    }

    void awaitMounted() {
        Fixture.await("the tree on " + sys, () -> Fixture.service(context, SysfsMount.class).mountpoint()
                .map(sys::equals).orElse(false) && mountinfo().contains(" " + sys + " "));
    }

    static String mountinfo() {
        try {
            return Files.readString(Path.of("/proc/self/mountinfo"));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    Mdevctl ours() {
        return Fixture.service(context, Mdevctl.class);
    }

    /** What our CLI prints on standard output for a command line (mdevctl's println included). */
    String oursPrints(String line) {
        String out = ours().execute(List.of(line.split(" ")));
        return out == null ? "" : out + "\n";
    }

    record Run(int rc, String out, String err) {
    }

    /** Debian's mdevctl with /sys and /etc/mdevctl.d replaced, in a mount namespace of its own. */
    Run real(String line) throws Exception {
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "sh", "-c",
                "mount --bind \"$0\" /sys && mount --bind \"$1\" /etc/mdevctl.d && shift && exec mdevctl \"$@\"",
                sys.toString(), root.resolve("etc/mdevctl.d").toString()));
        command.addAll(List.of(line.split(" ")));
        Process p = new ProcessBuilder(command).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    String realPrints(String line) throws Exception {
        Run run = real(line);
        assertThat(run.rc()).as("mdevctl %s: %s", line, run.err()).isZero();
        return run.out();
    }

    @Test
    void filesCreateAndRemoveDevicesInTheFramework() throws Exception {
        Path type = sys.resolve("class/mdev_bus/mtty/mdev_supported_types/mtty-2");
        assertThat(Files.readString(type.resolve("name"))).isEqualTo("Dual port serial\n");
        long before = bus.types("mtty").stream().filter(t -> t.id().equals("mtty-2")).findFirst().orElseThrow()
                .availableInstances();
        assertThat(Files.readString(type.resolve("available_instances"))).isEqualTo(before + "\n");
        Files.writeString(type.resolve("create"), U1 + "\n");
        UUID u1 = UUID.fromString(U1);
        assertThat(bus.device(u1)).isPresent();
        assertThat(Fixture.vfioDevice(context, u1)).as("bound by vfio.mdev as any device").isNotNull();
        assertThat(Files.readString(type.resolve("available_instances"))).isEqualTo((before - 1) + "\n");
        assertThat(sys.resolve("bus/mdev/devices/" + U1).toRealPath()).isEqualTo(sys.resolve("devices/mtty/" + U1));
        assertThat(sys.resolve("bus/mdev/devices/" + U1 + "/driver").toRealPath().getFileName().toString())
                .as("bound by vfio.mdev").isEqualTo("vfio_mdev");
        assertThatThrownBy(() -> Files.writeString(type.resolve("create"), U1)).hasMessageContaining("File exists");
        Files.writeString(sys.resolve("bus/mdev/devices/" + U1 + "/remove"), "1");
        assertThat(bus.device(u1)).isEmpty();

        // vendor attributes with the vendor's errnos
        Files.writeString(sys.resolve("class/mdev_bus/matrix/mdev_supported_types/vfio_ap-passthrough/create"), U2);
        Path ap = sys.resolve("bus/mdev/devices/" + U2);
        Files.writeString(ap.resolve("assign_adapter"), "3\n");
        Files.writeString(ap.resolve("assign_domain"), "4\n");
        assertThat(Files.readString(ap.resolve("matrix"))).isEqualTo("03.0004\n");
        assertThatThrownBy(() -> Files.writeString(ap.resolve("assign_adapter"), "5\n"))
                .hasMessageContaining("Cannot assign requested address");
    }

    @Test
    void stoppingTheBundleUnmountsStartingItMountsAgain() throws Exception {
        Bundle sysfs = Fixture.bundle(context, "mdev.sysfs");
        Fixture.stop(sysfs);
        assertThat(mountinfo()).doesNotContain(" " + sys + " ");
        Fixture.start(sysfs);
        awaitMounted();
        assertThat(Files.isDirectory(sys.resolve("class/mdev_bus/mtty"))).isTrue();
    }

    @Test
    void debiansMdevctlAgreesWithOurs() throws Exception {
        assertThat(realPrints("types")).isEqualTo(oursPrints("types"));
        assertThat(realPrints("types -p matrix --dumpjson")).isEqualTo(oursPrints("types -p matrix --dumpjson"));

        // the real tool starts a device in our framework
        assertThat(realPrints("start -u " + U1 + " -p mtty -t mtty-1")).isEmpty();
        assertThat(bus.device(UUID.fromString(U1))).isPresent();
        assertThat(realPrints("list")).isEqualTo(U1 + " mtty mtty-1 manual\n\n").isEqualTo(oursPrints("list"));

        // definitions are shared both ways
        ours().execute(List.of("define", "-u", U2, "-p", "matrix", "-t", "vfio_ap-passthrough"));
        ours().execute(List.of("modify", "-u", U2, "--addattr", "assign_adapter", "--value", "4"));
        ours().execute(List.of("modify", "-u", U2, "--addattr", "assign_domain", "--value", "71"));
        assertThat(realPrints("define -u " + U1 + " --auto")).isEmpty();
        assertThat(realPrints("list -d")).isEqualTo(oursPrints("list -d"));
        assertThat(realPrints("list -d -v --dumpjson")).isEqualTo(oursPrints("list -d -v --dumpjson"));

        // the real tool writes a definition's attributes through the tree at start
        assertThat(realPrints("start -u " + U2)).isEmpty();
        assertThat(bus.readAttribute(UUID.fromString(U2), "matrix")).isEqualTo("04.0047\n");   // domain 71 = 0x47
        assertThat(realPrints("list -v")).isEqualTo(oursPrints("list -v"));

        // and fails as ours does
        Run again = real("start -u " + U2);
        assertThat(again.rc()).isEqualTo(1);
        assertThat(again.err()).contains("Error: Device already exists");

        assertThat(realPrints("stop -u " + U2)).isEmpty();
        assertThat(realPrints("stop -u " + U1)).isEmpty();
        assertThat(bus.devices()).isEmpty();
        assertThat(realPrints("list")).isEqualTo("\n").isEqualTo(oursPrints("list"));
        assertThat(realPrints("list -d")).isEqualTo(oursPrints("list -d"));
    }
}
