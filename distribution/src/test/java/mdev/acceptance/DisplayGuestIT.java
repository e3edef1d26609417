package mdev.acceptance;

import mdev.testkit.guest.LinuxGuest;
import static mdev.acceptance.GuestIT.BOOT;
import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An mbochs display in a real guest: the Debian kernel's bochs DRM driver binds the device served
 * over vfio-user, reads the EDID the device generates and sets its mode; the shell's
 * vfio:screenshot takes the plane (a dma-buf) as a PNG, once with the kernel's console on it and
 * once after the guest painted known bands (see src/test/guest/display-init.sh).
 */
class DisplayGuestIT {
    private static final String DISPLAY = "83b8f4f2-509f-382f-3c1e-e6bfe0fa7001";
    private static final Path PICTURES = Path.of(System.getProperty("mdev.guest.logs", "target/guest-logs"))
            .toAbsolutePath().resolve("display");

    @Test
    void linuxsBochsDriverSetsTheEdidsModeAndWhatItDrawsIsInThePicture(@TempDir Path dir) throws Exception {
        Files.createDirectories(PICTURES);
        String init = Files.readString(Distribution.SCRIPTS.resolveSibling("guest").resolve("display-init.sh"));
        try (Distribution.Shell shell = new Distribution(dir).openShell()) {
            shell.command("mdev:create mbochs mbochs-small " + DISPLAY);
            // the monitor asks for 640x480 (the type allows up to 800x600)
            shell.command("mdev:attr " + DISPLAY + " resolution 640x480");
            assertThat(shell.command("mdev:attr " + DISPLAY + " resolution").strip()).isEqualTo("640x480");
            shell.command("vfio-user:serve " + DISPLAY + " " + dir.resolve("display.sock"));

            try (LinuxGuest guest = LinuxGuest.boot("display", dir, init, true, "display.sock")) {
                String console = guest.awaitConsole("CONSOLE", 1, 0, BOOT);
                List<String> lines = console.lines().map(String::strip).toList();
                assertThat(lines).as("console: %s", guest.consoleLog())
                        .anyMatch(l -> l.matches("FUNCTION 0000:00:\\w\\w\\.0 0x1234:0x1111 bochs-drm"))
                        .contains("DRM card0-Virtual-1 connected 640x480", "FB 640,480 stride 2560 bpp 32");
                Path consolePng = PICTURES.resolve("console.png");
                assertThat(shell.command("vfio:screenshot " + DISPLAY + " " + consolePng).strip())
                        .isEqualTo("640x480 -> " + consolePng);
                BufferedImage text = ImageIO.read(consolePng.toFile());
                assertThat(lit(text)).as("the kernel's console draws text: some pixels are lit").isBetween(200, 640 * 480 / 2);

                guest.awaitConsole("DRAWN", 1, 0, BOOT);
                Path bandsPng = PICTURES.resolve("bands.png");
                shell.command("vfio:screenshot " + DISPLAY + " " + bandsPng);
                BufferedImage bands = ImageIO.read(bandsPng.toFile());
                assertThat(bands.getWidth()).isEqualTo(640);
                assertThat(bands.getHeight()).isEqualTo(480);
                int[] colours = { 0xff0000, 0x00ff00, 0x0000ff, 0xffffff };
                for (int band = 0; band < 4; band++) {
                    for (int y : new int[] { band * 120 + 1, band * 120 + 60, band * 120 + 118 }) {
                        for (int x : new int[] { 0, 1, 320, 638 }) {
                            assertThat(bands.getRGB(x, y) & 0xffffff).as("pixel (%d, %d) of %s", x, y, bandsPng)
                                    .isEqualTo(colours[band]);
                        }
                    }
                }
                assertThat(guest.quit()).isZero();
            }
        }
    }

    private static int lit(BufferedImage image) {
        int n = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xffffff) != 0) {
                    n++;
                }
            }
        }
        return n;
    }
}
