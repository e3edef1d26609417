package mdev.acceptance;

import static mdev.acceptance.GuestIT.awaitOutput;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host composed from the example configuration directory (examples/host-config) with
 * {@code --config}: its GPU and subchannel instead of the defaults, vendor.ap kept stopped,
 * mdevctl's auto devices, sockets served, a virtio-pci front; then files changed under the
 * running host, which follows them.
 */
class ConfigurationIT {
    static final Path EXAMPLE = Path.of(System.getProperty("mdev.examples", "../examples")).toAbsolutePath()
            .resolve("host-config");
    static final String CARD = "5e1ec7ed-0000-4000-8000-000000000001";
    static final String NIC = "5e1ec7ed-0000-4000-8000-000000000002";

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    @Test
    void theExampleComposesAHostAndChangesToItsFilesApplyLive(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("host-config");
        copy(EXAMPLE, config);
        try (Distribution.Shell shell = new Distribution(dir).openShell("--config", config.toString())) {
            String types = shell.command("mdev:types");
            assertThat(types).contains("0.0.0200", "0000:00:02.0").as("the defaults made way")
                    .doesNotContain("0.0.0100");
            assertThat(shell.command("mdev:types matrix")).as("vendor.ap is kept stopped").contains("ENODEV");
            assertThat(shell.command("mdev:list")).contains(CARD + " mtty mtty-2", NIC + " mvnet mvnet-1");
            awaitOutput(shell, "vfio-user:list", config.resolve("card.sock") + " " + CARD + " waiting");
            awaitOutput(shell, "vfio-user:list", config.resolve("nic.sock") + " " + NIC + " waiting");
            assertThat(shell.command("virtio:fronts").strip()).isEqualTo("mdev:" + NIC + " virtio-pci " + NIC);
            // what the files may say, from the bundles' MetaType descriptions
            assertThat(shell.command("config:describe")).contains("vendor.ccw.subchannel~NAME  vfio-ccw subchannel",
                    "mdev.host  mdev host");
            assertThat(shell.command("config:describe vendor.ccw.subchannel~disk")).contains("schid (string) = 0.0.0100");

            // the host follows its files: vendor.ap back, a second subchannel, the GPU gone
            Path host = config.resolve("host.json");
            Files.writeString(host, """
                    {
                      "mdev.host": { "stopped": [] },
                      "vendor.ccw.subchannel~disk": { "schid": "0.0.0200", "capacity": 2097152 },
                      "vendor.ccw.subchannel~second": { "schid": "0.0.0201" }
                    }
                    """);
            awaitOutput(shell, "mdev:types", said -> said.contains("0.0.0201") && said.contains("matrix")
                    && !said.contains("0000:00:02.0"), "0.0.0201 and matrix, no GPU");

            // a file that does not parse changes nothing and is said once
            Files.writeString(host, "{ \"vendor.ccw.subchannel~second\": ");
            Thread.sleep(1500);
            assertThat(shell.command("mdev:types")).contains("0.0.0201", "matrix");
        }
    }
}
