package mdev.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real guests on devices served by the built jar: QEMU's vfio-user-pci and a Linux guest's own
 * drivers (8250_pci for the mtty card), as a user runs them. The guest's console is
 * {@code console.log} in the test's directory, named in every failure.
 */
class GuestIT {
    private static final Duration BOOT = Duration.ofSeconds(90);
    private static final String CARD = "83b8f4f2-509f-382f-3c1e-e6bfe0fa5001";

    @Test
    void linuxDrivesAnMttyCardOverVfioUser(@TempDir Path dir) throws Exception {
        String init = Files.readString(Distribution.SCRIPTS.resolveSibling("guest").resolve("mtty-init.sh"));
        try (Distribution.Shell shell = new Distribution(dir).openShell()) {
            shell.command("mdev:create mtty mtty-2 " + CARD);
            assertThat(shell.command("vfio-user:serve " + CARD + " " + dir.resolve("mtty.sock")))
                    .startsWith("serving " + CARD);

            // guest RAM a shared memfd: DMA maps come with descriptors
            try (Guest guest = Guest.boot("mtty-shared-memory", dir, init, true, "mtty.sock")) {
                String console = guest.awaitConsole("GUEST DONE", 1, BOOT);
                assertBothPortsLoopBack(console, guest);

                // system_reset resets the device (DEVICE_RESET); the guest boots and drives it again
                guest.monitor("system_reset");
                console = guest.awaitConsole("GUEST DONE", 2, BOOT);
                assertBothPortsLoopBack(console.substring(console.indexOf("GUEST DONE") + 10), guest);
                assertThat(guest.quit()).as("QEMU's exit status").isZero();
            }

            // a second QEMU at once, its RAM private: DMA maps without descriptors
            try (Guest guest = Guest.boot("mtty-private-memory", dir, init, false, "mtty.sock")) {
                assertBothPortsLoopBack(guest.awaitConsole("GUEST DONE", 1, BOOT), guest);
                assertThat(guest.quit()).isZero();
            }
            awaitOutput(shell, "vfio-user:list", "mtty.sock " + CARD + " waiting");
            assertThat(shell.command("vfio-user:unserve " + dir.resolve("mtty.sock"))).startsWith("unserved");
            assertThat(shell.command("mdev:remove " + CARD)).as("released by the last client").isBlank();
        }
    }

    /** Releasing a client follows the end of its socket: what the shell says catches up at once. */
    private static void awaitOutput(Distribution.Shell shell, String command, String expected) throws Exception {
        String said = "";
        for (int i = 0; i < 50 && !said.contains(expected); i++) {
            Thread.sleep(100);
            said = shell.command(command);
        }
        assertThat(said).as(command).contains(expected);
    }

    private static void assertBothPortsLoopBack(String console, Guest guest) {
        List<String> lines = console.lines().map(String::strip).toList();
        assertThat(lines).as("8250_pci bound both UARTs of the mtty card [4348:3253] (console: %s)", guest.console)
                .filteredOn(l -> l.startsWith("PORT ")).hasSize(2)
                .allMatch(l -> l.matches("PORT ttyS\\d+ 0x4348:0x3253 0000:00:\\w\\w\\.0"));
        assertThat(lines).as("what each port sent came back (console: %s)", guest.console)
                .filteredOn(l -> l.startsWith("LOOP ")).hasSize(2)
                .allMatch(l -> l.matches("LOOP (ttyS\\d+) hello from \\1"));
        assertThat(lines).as("each port took interrupts (console: %s)", guest.console)
                .filteredOn(l -> l.startsWith("IRQ ")).hasSize(2)
                .allMatch(l -> l.matches("IRQ ttyS\\d+ [1-9]\\d*"));
    }
}
