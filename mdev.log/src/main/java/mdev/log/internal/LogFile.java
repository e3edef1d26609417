package mdev.log.internal;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The log file: appended to, and when it passes its size limit renamed to {@code NAME.1}
 * (replacing the older one) and started afresh, so two files at most use the disk. Created
 * 0600 in a directory made 0700, as it may name devices and paths of the user.
 */
final class LogFile implements AutoCloseable {
    private final Path path;
    private final long maxBytes;
    private Writer writer;
    private long size;

    LogFile(Path path, long maxBytes) throws IOException {
        this.path = path;
        this.maxBytes = maxBytes;
        open();
    }

    Path path() {
        return path;
    }

    private void open() throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (!Files.exists(path)) {
            Files.createFile(path, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        size = Files.size(path);
        writer = Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    /** Appends {@code text} (lines with their terminators) and flushes it. */
    void append(String text) throws IOException {
        if (size > 0 && size + text.length() > maxBytes) {
            writer.close();
            Files.move(path, path.resolveSibling(path.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
            open();
        }
        writer.write(text);
        writer.flush();
        size += text.getBytes(StandardCharsets.UTF_8).length;
    }

    @Override
    public void close() throws IOException {
        writer.close();
    }
}
