package mdev.acceptance;

import mdev.testkit.guest.LinuxGuest;
import static mdev.acceptance.GuestIT.BOOT;
import static mdev.acceptance.GuestIT.awaitOutput;
import static mdev.acceptance.GuestIT.bundleId;
import static mdev.acceptance.GuestIT.firstRound;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Virtio devices given to a real guest through the virtio-pci front and vfio-user: the Debian
 * kernel's own virtio_pci, virtio_net and virtio_gpu drive an mvnet NIC and the uvirtio-vga
 * display of seed 004 (see src/test/guest/virtio-init.sh); the NIC's vendor bundle stops and
 * starts under the guest.
 */
class VirtioGuestIT {
    private static final String NIC = "83b8f4f2-509f-382f-3c1e-e6bfe0fa6001";
    private static final String DISPLAY = "83b8f4f2-509f-382f-3c1e-e6bfe0fa6002";

    private static String init() throws Exception {
        return Files.readString(Distribution.SCRIPTS.resolveSibling("guest").resolve("virtio-init.sh"));
    }

    @Test
    void linuxDrivesAnMvnetNicAndAUvirtioDisplayThroughVirtioPci(@TempDir Path dir) throws Exception {
        try (Distribution.Shell shell = new Distribution(dir).openShell()) {
            // the NIC as a user keeps one: defined auto with its front (mdevctl writes virtio_front
            // at each start), its socket configured
            assertThat(shell.command("mdevctl define -u " + NIC + " -p mvnet -t mvnet-1 --auto")).isBlank();
            assertThat(shell.command("mdevctl modify -u " + NIC + " --addattr=virtio_front --value=pci")).isBlank();
            shell.command("mdevctl start -u " + NIC);
            assertThat(shell.command("virtio:fronts").strip()).isEqualTo("mdev:" + NIC + " virtio-pci " + NIC);
            assertThat(shell.command("virtio:devices")).contains("mdev:" + NIC + " (no driver)");
            shell.command("vfio-user:configure " + NIC + " " + dir.resolve("nic.sock"));
            // the seed's uvirtio-vga: answered by its expect rules only
            assertThat(shell.command("virtio:vga")).contains("created uvirtio0");
            assertThat(shell.command("virtio:front uvirtio0 pci " + DISPLAY).strip()).isEqualTo("uvirtio0 -> virtio-pci " + DISPLAY);
            shell.command("vfio-user:serve " + DISPLAY + " " + dir.resolve("display.sock"));
            awaitOutput(shell, "vfio-user:list", "nic.sock " + NIC + " waiting");

            try (LinuxGuest guest = LinuxGuest.boot("virtio", dir, init(), true, "nic.sock", "display.sock")) {
                String round = firstRound(guest, 1);
                List<String> lines = round.lines().map(String::strip).toList();
                assertThat(lines).as("virtio_pci bound both functions (console: %s)", guest.consoleLog())
                        .filteredOn(l -> l.startsWith("FUNCTION ")).hasSize(2)
                        .anyMatch(l -> l.matches("FUNCTION 0000:00:\\w\\w\\.0 0x1af4:0x1041 virtio-pci"))
                        .anyMatch(l -> l.matches("FUNCTION 0000:00:\\w\\w\\.0 0x1af4:0x1050 virtio-pci"));
                assertThat(lines).as("virtio_net made an interface of the mvnet device and it is up (console: %s)",
                        guest.consoleLog()).contains("NIC eth0 52:54:e0:fa:60:01 virtio_net up");
                assertThat(lines).as("an ARP request went out, came back, was answered, and the answer came back"
                        + " (console: %s)", guest.consoleLog()).contains("ARP eth0 1");
                assertThat(lines).as("virtio_gpu got 1024x768 from the expect rules (console: %s)", guest.consoleLog())
                        .contains("DRM card0-Virtual-1 connected 1024x768");

                // the NIC's vendor goes while the guest uses it: its function goes, the guest copes
                assertThat(shell.command("stop samples.mvnet")).isBlank();
                assertThat(shell.command("virtio:fronts")).contains("mdev:" + NIC + " virtio-pci " + NIC + " (device absent)");
                int stopped = guest.console().length();
                String after = guest.awaitConsole("GUEST DONE", 2, stopped, BOOT);
                String wholeRound = after.substring(after.indexOf("GUEST DONE"));   // began after the stop
                assertThat(wholeRound.lines().map(String::strip)).as("nothing answers once the NIC is gone (console: %s)",
                        guest.consoleLog()).contains("ARP eth0 0").contains("DRM card0-Virtual-1 connected 1024x768");
                assertThat(guest.running()).as("QEMU survives its device").isTrue();
                assertThat(guest.quit()).isZero();
            }

            // the vendor back: the NIC is made again, given to VMs again and served again, by itself
            assertThat(shell.command("start " + bundleId(shell, "samples.mvnet"))).isBlank();
            awaitOutput(shell, "vfio-user:list", "nic.sock " + NIC + " waiting");
            try (LinuxGuest guest = LinuxGuest.boot("virtio-nic-back", dir, init(), true, "nic.sock")) {
                List<String> lines = firstRound(guest, 1).lines().map(String::strip).toList();
                assertThat(lines).as("console: %s", guest.consoleLog()).contains("NIC eth0 52:54:e0:fa:60:01 virtio_net up",
                        "ARP eth0 1");
                assertThat(guest.quit()).isZero();
            }
            // given back to the virtio bus once the last client let go (EBUSY until then)
            awaitOutput(shell, "virtio:front mdev:" + NIC + " bus", "mdev:" + NIC + " -> virtio bus");
            awaitOutput(shell, "virtio:devices", "mdev:" + NIC + " GuestNetDriver");
        }
    }
}
