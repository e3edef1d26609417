package mdev.testkit.guest;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real VM for tests: Debian's QEMU (>= 10.1, for vfio-user-pci) from the trixie chroot that
 * guest-packages.sh (beside this class; tools/guest-packages.sh in mdev-osgi) installs once, booting Debian's kernel with an initramfs of busybox and an
 * init script, on TCG. Its devices are vfio-user sockets served by mdev-osgi. QEMU runs in a
 * private mount namespace in which the test's directory is bound into the chroot at
 * {@value #INSIDE}, so sockets, initramfs and console keep their paths for both sides. The
 * serial console goes to {@code console.log} in the test's directory, its HMP monitor listens on
 * {@code monitor.sock} there; when the guest ends, the console and QEMU's own output are kept
 * in target/guest-logs/NAME (the system property {@code mdev.guest.logs} names another place),
 * the place failures name.
 *
 * <p>{@link #run} is the short way: boot a guest on some vfio-user sockets, run a shell script in
 * it, get what it printed and its exit status. It needs root (chroot, mount namespaces) and, the
 * first time on a machine, Debian's package registry (about 500 MB, under
 * /var/cache/mdev-osgi/guest or $MDEV_GUEST_CACHE).
 */
public final class LinuxGuest implements AutoCloseable {
    private static final String INSIDE = "/mnt/mdev-osgi-test";
    private static final Path LOGS = Path.of(System.getProperty("mdev.guest.logs", "target/guest-logs")).toAbsolutePath();
    private static Path root;

    private final Path dir;
    private final Process qemu;
    /** Where the console is kept when the guest ends. */
    private final Path console;

    private LinuxGuest(Path dir, Process qemu, String name) {
        this.dir = dir;
        this.qemu = qemu;
        this.console = LOGS.resolve(name).resolve("console.log");
    }

    /**
     * The chroot holding QEMU and the guest's kernel, modules and busybox, installed on first use
     * by the guest-packages.sh this kit carries. Fails saying what is missing when it cannot be.
     */
    public static synchronized Path root() throws IOException, InterruptedException {
        if (root == null) {
            Path script = Files.createTempFile("guest-packages", ".sh");
            try (java.io.InputStream in = LinuxGuest.class.getResourceAsStream("guest-packages.sh")) {
                if (in == null) {
                    throw new IOException("guest-packages.sh is missing beside " + LinuxGuest.class.getName());
                }
                Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Process install;
            try {
                install = new ProcessBuilder("sh", script.toString()).redirectErrorStream(true).start();
            } finally {
                script.toFile().deleteOnExit();
            }
            String said = new String(install.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (install.waitFor() != 0) {
                throw new AssertionError("the real-guest tests cannot run here: " + said.strip());
            }
            root = Path.of(System.getenv().getOrDefault("MDEV_GUEST_CACHE", "/var/cache/mdev-osgi/guest"), "trixie");
        }
        return root;
    }

    /**
     * Boots a guest named {@code name} whose /init is {@code init}, with a vfio-user-pci device
     * per socket (in {@code dir}). With {@code sharedMemory} the guest's RAM is a shared memfd, so DMA maps
     * come with descriptors; without, the server reaches guest memory by DMA_READ/DMA_WRITE.
     */
    public static LinuxGuest boot(String name, Path dir, String init, boolean sharedMemory, String... sockets)
            throws IOException, InterruptedException {
        Path root = root();
        Files.deleteIfExists(dir.resolve("console.log"));
        Initramfs.write(dir.resolve("initramfs"), root.resolve("guest/busybox"), init, root.resolve("guest/modules"));
        List<String> qemu = new ArrayList<>(List.of("chroot", root.toString(), "qemu-system-x86_64",
                "-nodefaults", "-no-user-config", "-display", "none", "-accel", "tcg", "-m", "512M",
                "-serial", "file:" + INSIDE + "/console.log",
                "-monitor", "unix:" + INSIDE + "/monitor.sock,server=on,wait=off",
                "-kernel", "/guest/vmlinuz", "-initrd", INSIDE + "/initramfs",
                "-append", "console=ttyS0 8250.nr_uarts=8 panic=0 quiet"));
        if (sharedMemory) {
            qemu.addAll(List.of("-object", "memory-backend-memfd,id=ram,size=512M,share=on",
                    "-machine", "q35,memory-backend=ram"));
        } else {
            qemu.addAll(List.of("-machine", "q35"));
        }
        for (String socket : sockets) {
            qemu.addAll(List.of("-device", "{\"driver\":\"vfio-user-pci\",\"socket\":{\"path\":\""
                    + INSIDE + "/" + socket + "\",\"type\":\"unix\"}}"));
        }
        String mounts = "set -e; r=$1; d=$2; shift 2; mkdir -p \"$r" + INSIDE + "\"; "
                + "mount --bind \"$d\" \"$r" + INSIDE + "\"; mount --rbind /dev \"$r/dev\"; "
                + "mount -t proc proc \"$r/proc\"; exec \"$@\"";
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--propagation", "private",
                "sh", "-c", mounts, "guest", root.toString(), dir.toString()));
        command.addAll(qemu);
        Files.writeString(dir.resolve("qemu-command"), String.join(" ", command) + "\n");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile()).start();
        return new LinuxGuest(dir, process, name);
    }

    /** Where the console is kept when the guest ends (target/guest-logs/NAME/console.log). */
    public Path consoleLog() {
        return console;
    }

    /** The console so far. */
    public String console() throws IOException {
        Path live = dir.resolve("console.log");
        return Files.exists(live) ? Files.readString(live, StandardCharsets.ISO_8859_1) : "";
    }

    /**
     * Waits until the console shows a line starting with {@code line} {@code times} times after
     * its first {@code from} characters; returns the console from there. Fails naming the console.
     */
    public String awaitConsole(String line, int times, int from, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String all = console();
            String text = all.substring(Math.min(from, all.length()));
            if (text.lines().filter(l -> l.strip().startsWith(line)).count() >= times) {
                return text;
            }
            if (!qemu.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the guest did not print '" + line + "' " + times + " time(s) within "
                        + timeout.toSeconds() + " s (QEMU " + (qemu.isAlive() ? "running" : "exited " + qemu.exitValue())
                        + "); console: " + console + ", QEMU's output beside it\n"
                        + text + Files.readString(dir.resolve("qemu.log")));
            }
            Thread.sleep(100);
        }
    }

    /** One HMP command on QEMU's monitor ({@code system_reset}, {@code quit}, ...), once it is taken. */
    public void monitor(String command) throws IOException {
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(dir.resolve("monitor.sock")))) {
            untilPrompt(channel);
            channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII)));
            untilPrompt(channel); // the next prompt, or the end when QEMU quits
        }
    }

    private static void untilPrompt(SocketChannel channel) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(512);
        StringBuilder said = new StringBuilder();
        while (said.indexOf("(qemu) ") < 0 && channel.read(buffer.clear()) >= 0) {
            said.append(new String(buffer.array(), 0, buffer.position(), StandardCharsets.ISO_8859_1));
        }
    }

    /** Quits QEMU through its monitor and waits for it; returns its exit status. */
    public int quit() throws IOException, InterruptedException {
        if (qemu.isAlive()) {
            monitor("quit");
        }
        if (!qemu.waitFor(30, TimeUnit.SECONDS)) {
            qemu.destroyForcibly().waitFor();
        }
        return qemu.exitValue();
    }

    public boolean running() {
        return qemu.isAlive();
    }

    @Override
    public void close() throws InterruptedException, IOException {
        if (qemu.isAlive()) {
            qemu.destroyForcibly().waitFor();
        }
        Files.createDirectories(console.getParent());
        Files.writeString(console, console(), StandardCharsets.ISO_8859_1);
        Files.copy(dir.resolve("qemu.log"), console.resolveSibling("qemu.log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** What a script printed in a guest, and how it ended. */
    public record Result(int status, String output) {
    }

    /**
     * Boots a guest (its RAM shared, so DMA maps come with descriptors) with a vfio-user-pci
     * device per socket (socket files in {@code dir}), runs {@code script} with busybox's sh after
     * /proc, /sys and /dev are mounted and the kernel modules the kit installs
     * (virtio_net, virtio-gpu, bochs and what they need) are loaded, and returns what the script
     * printed (standard output and error) and its exit status. Fails naming the console when the
     * script does not end within {@code timeout}.
     */
    public static Result run(String name, Path dir, String script, Duration timeout, String... sockets)
            throws IOException, InterruptedException {
        Files.writeString(dir.resolve("script.sh"), script);
        String init = "#!/bin/busybox sh\n"
                + "/bin/busybox --install -s /bin\n"
                + "mount -t proc proc /proc\nmount -t sysfs sys /sys\nmount -t devtmpfs dev /dev\n"
                + "for m in $(cat /lib/modules/load-order 2>/dev/null); do insmod \"/lib/modules/$m\" 2>/dev/null; done\n"
                + "cat > /tmp/script.sh <<'MDEV_GUEST_SCRIPT'\n" + script + (script.endsWith("\n") ? "" : "\n")
                + "MDEV_GUEST_SCRIPT\n"
                + "echo " + BEGIN + "\n"
                + "sh /tmp/script.sh 2>&1\n"
                + "echo \"" + END + " $?\"\n"
                + "poweroff -f\n";
        try (LinuxGuest guest = boot(name, dir, init, true, sockets)) {
            String text = guest.awaitConsole(END, 1, 0, timeout);
            int begin = text.indexOf(BEGIN + "\n");
            int end = text.lastIndexOf(END + " ");
            String output = text.substring(begin < 0 ? 0 : begin + BEGIN.length() + 1, end).replace("\r", "");
            String statusText = text.substring(end + END.length() + 1).lines().findFirst().orElse("").strip();
            return new Result(Integer.parseInt(statusText), output);
        }
    }

    private static final String BEGIN = "MDEV-GUEST-SCRIPT-BEGIN";
    private static final String END = "MDEV-GUEST-SCRIPT-END";
}
