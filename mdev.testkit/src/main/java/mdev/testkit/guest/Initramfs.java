package mdev.testkit.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A guest's initramfs: an uncompressed cpio archive in the kernel's "newc" format
 * (Documentation/driver-api/early-userspace/buffer-format.rst), with busybox and an init script.
 */
public final class Initramfs {
    private static final int S_IFDIR = 0040000;
    private static final int S_IFREG = 0100000;

    private final ByteArrayOutputStream archive = new ByteArrayOutputStream();
    private int inode = 1;

    /**
     * busybox as /bin/busybox, {@code init} as /init, the directories init mounts on, and the
     * files of {@code modules} (kernel modules and their load-order) in /lib/modules.
     */
    public static void write(Path out, Path busybox, String init, Path modules) throws IOException {
        Initramfs cpio = new Initramfs();
        for (String dir : new String[] { "bin", "dev", "proc", "sys", "tmp", "lib", "lib/modules" }) {
            cpio.entry(dir, S_IFDIR | 0755, new byte[0]);
        }
        cpio.entry("bin/busybox", S_IFREG | 0755, Files.readAllBytes(busybox));
        if (Files.isDirectory(modules)) {
            try (java.util.stream.Stream<Path> files = Files.list(modules)) {
                for (Path module : files.sorted().toList()) {
                    cpio.entry("lib/modules/" + module.getFileName(), S_IFREG | 0644, Files.readAllBytes(module));
                }
            }
        }
        cpio.entry("init", S_IFREG | 0755, init.getBytes(StandardCharsets.UTF_8));
        cpio.entry("TRAILER!!!", 0, new byte[0]);
        Files.write(out, cpio.archive.toByteArray());
    }

    /** "070701", then 13 fields of 8 hex digits, the NUL-terminated name, the data; each padded to 4. */
    private void entry(String name, int mode, byte[] data) {
        byte[] nameBytes = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        int[] fields = { inode++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0 };
        StringBuilder header = new StringBuilder("070701");
        for (int field : fields) {
            header.append(String.format("%08x", field));
        }
        archive.writeBytes(header.toString().getBytes(StandardCharsets.US_ASCII));
        archive.writeBytes(nameBytes);
        pad();
        archive.writeBytes(data);
        pad();
    }

    private void pad() {
        while (archive.size() % 4 != 0) {
            archive.write(0);
        }
    }
}
