package mdev.mdevctl.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * Definitions in mdevctl's layout: {@code <root>/etc/mdevctl.d/<parent>/<uuid>}, each a JSON
 * object {@code {"mdev_type": ..., "start": "auto"|"manual", "attrs": [{name: value}, ...]}}
 * as mdevctl 1.2 writes it (two-space pretty printing), so mdevctl reads ours and we read its.
 * A write goes to a temporary file in the same directory, is forced to disk, renamed over the
 * definition and the directory is forced too: a crash leaves the old or the new file, never
 * half of one. Unreadable files are reported and skipped.
 */
final class DefinitionStore {
    private static final String TEMP_PREFIX = ".mdevctl-tmp-";
    private static final String SCRIPTS_DIR = "scripts.d";

    private final Path dir;
    private final Consumer<String> report;
    /**
     * What was last said about each unreadable file, with the file's modification time: the same
     * condition is reported once, not at every listing; guarded by {@code this}.
     */
    private final java.util.Map<Path, String> reported = new java.util.HashMap<>();

    /** {@code root} is the system root mdevctl would use ({@code /} normally). */
    DefinitionStore(Path root, Consumer<String> report) {
        this.dir = root.resolve("etc").resolve("mdevctl.d");
        this.report = report;
    }

    Path directory() {
        return dir;
    }

    /** Every readable definition, by parent then UUID. */
    List<MdevDefinition> list() {
        List<MdevDefinition> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        for (Path parentDir : sorted(dir)) {
            if (!Files.isDirectory(parentDir) || parentDir.getFileName().toString().equals(SCRIPTS_DIR)) {
                continue;   // mdevctl keeps its callout scripts in scripts.d
            }
            for (Path file : sorted(parentDir)) {
                String name = file.getFileName().toString();
                if (name.startsWith(TEMP_PREFIX) || !Files.isRegularFile(file)) {
                    continue;   // a write that never finished, or not a definition
                }
                read(parentDir.getFileName().toString(), file).ifPresent(found::add);
            }
        }
        return found;
    }

    /** The readable definitions of {@code uuid} (any if null) under {@code parent} (any if null). */
    List<MdevDefinition> list(UUID uuid, String parent) {
        return list().stream()
                .filter(d -> uuid == null || d.uuid().equals(uuid))
                .filter(d -> parent == null || d.parent().equals(parent))
                .toList();
    }

    /**
     * Deletes what writes cut short by a crash left behind (temporary files never renamed);
     * returns how many. The definitions themselves are always whole.
     */
    int removeLeftovers() {
        int removed = 0;
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        for (Path parentDir : sorted(dir)) {
            if (!Files.isDirectory(parentDir)) {
                continue;
            }
            for (Path file : sorted(parentDir)) {
                if (file.getFileName().toString().startsWith(TEMP_PREFIX)) {
                    try {
                        Files.deleteIfExists(file);
                        removed++;
                    } catch (IOException e) {
                        report.accept("cannot remove the leftover " + file + ": " + e.getMessage());
                    }
                }
            }
        }
        return removed;
    }

    /** Whether a file for this definition exists, readable or not (mdevctl's is_defined). */
    boolean exists(String parent, UUID uuid) {
        return Files.isRegularFile(dir.resolve(parent).resolve(uuid.toString()));
    }

    private List<Path> sorted(Path directory) {
        List<Path> entries = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            stream.forEach(entries::add);
        } catch (IOException e) {
            report.accept("cannot list " + directory + ": " + e.getMessage());
        }
        entries.sort(null);
        return entries;
    }

    private Optional<MdevDefinition> read(String parent, Path file) {
        UUID uuid;
        try {
            uuid = UUID.fromString(file.getFileName().toString());
        } catch (IllegalArgumentException e) {
            reportOnce(file, "skipping " + file + ": its name is not a UUID");
            return Optional.empty();
        }
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            JsonNode root = SerdeJson.parse(text, file.toString());
            MdevDefinition definition = SerdeJson.toDefinition(uuid, parent, root);
            forget(file);
            return Optional.of(definition);
        } catch (ErrnoException e) {
            reportOnce(file, "skipping " + file + ": " + e.getMessage());
        } catch (NoSuchFileException e) {
            // undefined while we listed
        } catch (IOException e) {
            reportOnce(file, "skipping " + file + ": " + e.getMessage());
        }
        return Optional.empty();
    }

    /** Says {@code message} unless it was said for this file as it is now (same contents' time). */
    private void reportOnce(Path file, String message) {
        String key;
        try {
            key = Files.getLastModifiedTime(file) + " " + message;
        } catch (IOException gone) {
            key = message;
        }
        synchronized (this) {
            if (key.equals(reported.put(file, key))) {
                return;
            }
        }
        report.accept(message);
    }

    private synchronized void forget(Path file) {
        reported.remove(file);
    }

    /**
     * Removes the definition files of {@code uuid} under {@code parent} (any if null), whether or
     * not they parse (mdevctl 1.3 undefines a definition it cannot read); returns how many.
     */
    int deleteFiles(UUID uuid, String parent) {
        int removed = 0;
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        for (Path parentDir : sorted(dir)) {
            String name = parentDir.getFileName().toString();
            if (!Files.isDirectory(parentDir) || name.equals(SCRIPTS_DIR) || (parent != null && !parent.equals(name))) {
                continue;
            }
            Path file = parentDir.resolve(uuid.toString());
            try {
                if (Files.deleteIfExists(file)) {
                    forget(file);
                    forceDirectory(parentDir);
                    removed++;
                }
            } catch (IOException e) {
                throw new ErrnoException(Errno.EIO, "cannot remove the definition " + file + ": " + e.getMessage(), e);
            }
        }
        return removed;
    }

    /** The definition's JSON, byte for byte as mdevctl writes it. */
    String toJson(MdevDefinition d) {
        return SerdeJson.pretty(SerdeJson.definition(d.type(), d.auto(), d.attrs()));
    }

    /** Writes (or replaces) a definition atomically. */
    void write(MdevDefinition d) {
        Path parentDir = dir.resolve(d.parent());
        Path target = parentDir.resolve(d.uuid().toString());
        Path temp = parentDir.resolve(TEMP_PREFIX + d.uuid());
        try {
            Files.createDirectories(parentDir);
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(toJson(d).getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new ErrnoException(Errno.EIO, "cannot replace " + target + " atomically");
            }
            forceDirectory(parentDir);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the leftover is skipped when listing
            }
            throw new ErrnoException(Errno.EIO, "cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Removes a definition; ENOENT if there is none. */
    void delete(MdevDefinition d) {
        Path parentDir = dir.resolve(d.parent());
        try {
            if (!Files.deleteIfExists(parentDir.resolve(d.uuid().toString()))) {
                throw new ErrnoException(Errno.ENOENT, "no definition " + d.uuid() + " under " + d.parent());
            }
            forceDirectory(parentDir);
        } catch (IOException e) {
            throw new ErrnoException(Errno.EIO, "cannot remove the definition " + d.uuid() + ": " + e.getMessage(), e);
        }
    }

    /** fsync of the directory, so the rename or unlink is on disk too. */
    private static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
