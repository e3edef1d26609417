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
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

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

    private final Path dir;
    private final Consumer<String> report;
    private final ObjectMapper json = new ObjectMapper();

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
            if (!Files.isDirectory(parentDir)) {
                continue;
            }
            for (Path file : sorted(parentDir)) {
                String name = file.getFileName().toString();
                if (name.startsWith(TEMP_PREFIX)) {
                    continue;   // a write that never finished
                }
                read(parentDir.getFileName().toString(), file).ifPresent(found::add);
            }
        }
        return found;
    }

    Optional<MdevDefinition> find(UUID uuid) {
        return list().stream().filter(d -> d.uuid().equals(uuid)).findFirst();
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
            report.accept("skipping " + file + ": its name is not a UUID");
            return Optional.empty();
        }
        try {
            JsonNode root = json.readTree(Files.readAllBytes(file));
            JsonNode type = root == null ? null : root.get("mdev_type");
            JsonNode start = root == null ? null : root.get("start");
            if (type == null || !type.isTextual() || start == null
                    || !(start.asText().equals("auto") || start.asText().equals("manual"))) {
                report.accept("skipping " + file + ": it needs a text mdev_type and start auto or manual");
                return Optional.empty();
            }
            List<MdevDefinition.Attr> attrs = new ArrayList<>();
            JsonNode list = root.get("attrs");
            if (list != null && !list.isArray()) {
                report.accept("skipping " + file + ": attrs is not a list");
                return Optional.empty();
            }
            if (list != null) {
                for (JsonNode attr : list) {
                    if (!attr.isObject() || attr.size() != 1 || !attr.fields().next().getValue().isTextual()) {
                        report.accept("skipping " + file + ": an attribute is not {\"name\": \"value\"}");
                        return Optional.empty();
                    }
                    Map.Entry<String, JsonNode> e = attr.fields().next();
                    attrs.add(new MdevDefinition.Attr(e.getKey(), e.getValue().asText()));
                }
            }
            return Optional.of(new MdevDefinition(uuid, parent, type.asText(), start.asText().equals("auto"), attrs));
        } catch (JsonProcessingException e) {
            report.accept("skipping " + file + ": not JSON (" + e.getOriginalMessage() + ")");
        } catch (NoSuchFileException e) {
            // undefined while we listed
        } catch (IOException e) {
            report.accept("skipping " + file + ": " + e.getMessage());
        }
        return Optional.empty();
    }

    /** The definition's JSON, byte for byte as mdevctl writes it. */
    String toJson(MdevDefinition d) {
        ObjectNode root = json.createObjectNode();
        root.put("mdev_type", d.type());
        root.put("start", d.auto() ? "auto" : "manual");
        ArrayNode attrs = root.putArray("attrs");
        for (MdevDefinition.Attr a : d.attrs()) {
            attrs.addObject().put(a.name(), a.value());
        }
        DefaultPrettyPrinter pretty = new DefaultPrettyPrinter()
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"))
                .withSeparators(com.fasterxml.jackson.core.util.Separators.createDefaultInstance()
                        .withObjectFieldValueSpacing(com.fasterxml.jackson.core.util.Separators.Spacing.AFTER));
        try {
            String text = json.writer(pretty).writeValueAsString(root);
            return d.attrs().isEmpty() ? text.replace("[ ]", "[]") : text;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
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
