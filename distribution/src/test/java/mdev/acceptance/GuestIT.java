package mdev.acceptance;

import mdev.testkit.guest.LinuxGuest;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real guests on devices served by the built jar: QEMU's vfio-user-pci and a Linux guest's own
 * drivers (8250_pci for mtty cards), as a user runs them. The guest drives every port it finds
 * in rounds (see src/test/guest/mtty-init.sh); its console is kept in target/guest-logs, named
 * in every failure.
 */
class GuestIT {
    static final Duration BOOT = Duration.ofSeconds(90);
    private static final String CARD = "83b8f4f2-509f-382f-3c1e-e6bfe0fa5001";
    private static final String SINGLE = "83b8f4f2-509f-382f-3c1e-e6bfe0fa5002";

    private static String init() throws Exception {
        return Files.readString(Distribution.SCRIPTS.resolveSibling("guest").resolve("mtty-init.sh"));
    }

    @Test
    void linuxDrivesAnMttyCardOverVfioUser(@TempDir Path dir) throws Exception {
        try (Distribution.Shell shell = new Distribution(dir).openShell()) {
            shell.command("mdev:create mtty mtty-2 " + CARD);
            assertThat(shell.command("vfio-user:serve " + CARD + " " + dir.resolve("mtty.sock")))
                    .startsWith("serving " + CARD);

            // guest RAM a shared memfd: DMA maps come with descriptors
            try (LinuxGuest guest = LinuxGuest.boot("mtty-shared-memory", dir, init(), true, "mtty.sock")) {
                assertPortsLoopBack(firstRound(guest, 1), guest, 2);
                // system_reset resets the device (DEVICE_RESET); the guest boots and drives it again
                guest.monitor("system_reset");
                assertPortsLoopBack(firstRound(guest, 2), guest, 2);
                assertThat(guest.quit()).as("QEMU's exit status").isZero();
            }

            // a second QEMU at once, its RAM private: DMA maps without descriptors
            try (LinuxGuest guest = LinuxGuest.boot("mtty-private-memory", dir, init(), false, "mtty.sock")) {
                assertPortsLoopBack(firstRound(guest, 1), guest, 2);
                assertThat(guest.quit()).isZero();
            }
            awaitOutput(shell, "vfio-user:list", "mtty.sock " + CARD + " waiting");
            assertThat(shell.command("vfio-user:unserve " + dir.resolve("mtty.sock"))).startsWith("unserved");
            assertThat(shell.command("mdev:remove " + CARD)).as("released by the last client").isBlank();
        }
    }

    @Test
    void twoCardsInOneGuestAndTheirVendorStoppedUnderIt(@TempDir Path dir) throws Exception {
        try (Distribution.Shell shell = new Distribution(dir).openShell()) {
            // the card as a user keeps one: defined auto (made whenever its parent is there) and
            // its socket configured (served whenever the card exists)
            assertThat(shell.command("mdevctl define -u " + CARD + " -p mtty -t mtty-2 --auto")).isBlank();
            shell.command("mdevctl start -u " + CARD);
            assertThat(shell.command("vfio-user:configure " + CARD + " " + dir.resolve("card.sock")))
                    .startsWith("configured " + CARD);
            shell.command("mdev:create mtty mtty-1 " + SINGLE);
            shell.command("vfio-user:serve " + SINGLE + " " + dir.resolve("single.sock"));
            awaitOutput(shell, "vfio-user:list", "card.sock " + CARD + " waiting");

            try (LinuxGuest guest = LinuxGuest.boot("two-cards", dir, init(), true, "card.sock", "single.sock")) {
                assertPortsLoopBack(firstRound(guest, 1), guest, 3);

                // the vendor goes while the guest uses its cards: the devices go with it
                assertThat(shell.command("stop samples.mtty")).isBlank();
                assertThat(shell.command("mdev:list")).doesNotContain(CARD, SINGLE);
                int stopped = guest.console().length();
                String after = guest.awaitConsole("GUEST DONE", 2, stopped, BOOT);
                assertThat(after.lines().filter(l -> l.startsWith("LOOP ")))
                        .as("no port loops back once its device is gone (console: %s)", guest.consoleLog())
                        .isNotEmpty().noneMatch(l -> l.matches("LOOP (ttyS\\d+) hello from \\1"));
                assertThat(guest.running()).as("QEMU survives its devices").isTrue();
                assertThat(guest.quit()).isZero();
            }

            // the vendor back: the auto card is made again and its socket served again, by themselves
            assertThat(shell.command("start " + bundleId(shell, "samples.mtty"))).isBlank();
            awaitOutput(shell, "vfio-user:list", "card.sock " + CARD + " waiting");
            try (LinuxGuest guest = LinuxGuest.boot("vendor-back", dir, init(), true, "card.sock")) {
                assertPortsLoopBack(firstRound(guest, 1), guest, 2);
                assertThat(guest.quit()).isZero();
            }
            assertThat(shell.command("vfio-user:unconfigure " + dir.resolve("card.sock"))).startsWith("unconfigured");
            awaitOutput(shell, "vfio-user:list", said -> !said.contains("card.sock"), "no card.sock");
        }
    }

    /** The console of the first round of the {@code boot}-th boot: from its "GUEST UP" to its first "GUEST DONE". */
    static String firstRound(LinuxGuest guest, int boot) throws Exception {
        String all = guest.awaitConsole("GUEST UP", boot, 0, BOOT);
        int up = -1;
        for (int i = 0; i < boot; i++) {
            up = all.indexOf("GUEST UP", up + 1);
        }
        String round = guest.awaitConsole("GUEST DONE", 1, up, BOOT);
        return round.substring(0, round.indexOf("GUEST DONE"));
    }

    static String bundleId(Distribution.Shell shell, String symbolicName) throws Exception {
        String listed = shell.command("lb -s " + symbolicName);
        java.util.regex.Matcher id = java.util.regex.Pattern.compile("(?m)^\\s*(\\d+)\\|.*" + symbolicName).matcher(listed);
        assertThat(id.find()).as("lb -s %s: %s", symbolicName, listed).isTrue();
        return id.group(1);
    }

    /**
     * What follows asynchronously (a client's release after its socket ends, SCR acting on a
     * configuration, an auto-start) shows in the shell's answers within seconds.
     */
    static void awaitOutput(Distribution.Shell shell, String command, String expected) throws Exception {
        awaitOutput(shell, command, said -> said.contains(expected), expected);
    }

    static void awaitOutput(Distribution.Shell shell, String command, java.util.function.Predicate<String> done,
            String what) throws Exception {
        String said = shell.command(command);
        for (int i = 0; i < 100 && !done.test(said); i++) {
            Thread.sleep(100);
            said = shell.command(command);
        }
        assertThat(said).as("%s: %s", command, what).matches(done);
    }

    private static void assertPortsLoopBack(String round, LinuxGuest guest, int ports) {
        List<String> lines = round.lines().map(String::strip).toList();
        assertThat(lines).as("8250_pci bound the UARTs of the mtty cards [4348:3253] (console: %s)", guest.consoleLog())
                .filteredOn(l -> l.startsWith("PORT ")).hasSize(ports)
                .allMatch(l -> l.matches("PORT ttyS\\d+ 0x4348:0x3253 0000:00:\\w\\w\\.0"));
        assertThat(lines).as("what each port sent came back (console: %s)", guest.consoleLog())
                .filteredOn(l -> l.startsWith("LOOP ")).hasSize(ports)
                .allMatch(l -> l.matches("LOOP (ttyS\\d+) hello from \\1"));
        assertThat(lines).as("each port took interrupts (console: %s)", guest.consoleLog())
                .filteredOn(l -> l.startsWith("IRQ ")).hasSize(ports)
                .allMatch(l -> l.matches("IRQ ttyS\\d+ [1-9]\\d*"));
    }
}
