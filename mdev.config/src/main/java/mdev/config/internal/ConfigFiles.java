package mdev.config.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Hashtable;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * Reads configuration files (OSGi Configurator JSON: PIDs to property objects) into property
 * tables Configuration Admin takes: strings, integers (Integer when they fit, else Long),
 * decimals (Double), booleans, and arrays of one of those (as arrays of the wrapper type).
 * Malformed input answers EINVAL naming the file, the PID and the property.
 */
final class ConfigFiles {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** In string values, the configuration directory's absolute path (files that name files beside them). */
    static final String DIR_VARIABLE = "${dir}";
    private static final ThreadLocal<String> DIR = ThreadLocal.withInitial(() -> ".");

    private ConfigFiles() {
    }

    /** The {@code *.json} files of {@code dir}, sorted by name. */
    static List<Path> list(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.json")) {
            stream.forEach(f -> {
                if (Files.isRegularFile(f)) {
                    files.add(f);
                }
            });
        }
        files.sort(null);
        return files;
    }

    /** PID to properties of one file, in file order. */
    static Map<String, Hashtable<String, Object>> read(Path file) throws IOException {
        DIR.set(file.toAbsolutePath().getParent().toString());
        try {
            return parse(file);
        } finally {
            DIR.remove();
        }
    }

    private static Map<String, Hashtable<String, Object>> parse(Path file) throws IOException {
        JsonNode root;
        try {
            root = MAPPER.readTree(Files.readString(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            var where = e.getLocation();
            throw new ErrnoException(Errno.EINVAL, file.getFileName() + ": " + e.getOriginalMessage().lines().findFirst()
                    .orElse("malformed JSON") + (where == null ? "" : " at line " + where.getLineNr()));
        }
        if (root == null || !root.isObject()) {
            throw new ErrnoException(Errno.EINVAL, file.getFileName() + ": not a JSON object of PIDs");
        }
        Map<String, Hashtable<String, Object>> configurations = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String pid = e.getKey();
            if (pid.startsWith(":")) {
                continue;   // a Configurator directive (resource version, ...)
            }
            if (pid.isBlank() || pid.startsWith("~") || pid.endsWith("~") || !e.getValue().isObject()) {
                throw new ErrnoException(Errno.EINVAL, file.getFileName() + ": '" + pid
                        + "' is not a PID (or factoryPid~name) with an object of properties");
            }
            configurations.put(pid, properties(file, pid, e.getValue()));
        }
        return configurations;
    }

    private static Hashtable<String, Object> properties(Path file, String pid, JsonNode object) {
        Hashtable<String, Object> props = new Hashtable<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> p = it.next();
            String where = file.getFileName() + ": " + pid + "." + p.getKey();
            if (p.getKey().startsWith(":")) {
                continue;
            }
            JsonNode v = p.getValue();
            props.put(p.getKey(), v.isArray() ? array(where, v) : scalar(where, v));
        }
        return props;
    }

    private static Object scalar(String where, JsonNode v) {
        if (v.isTextual()) {
            return v.asText().replace(DIR_VARIABLE, DIR.get());
        }
        if (v.isBoolean()) {
            return v.asBoolean();
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToInt() ? (Object) v.intValue() : (Object) v.longValue();
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        throw new ErrnoException(Errno.EINVAL, where + ": a value is a string, number, boolean or an array of one kind, not "
                + v.getNodeType().name().toLowerCase());
    }

    private static Object array(String where, JsonNode v) {
        List<Object> values = new ArrayList<>();
        v.forEach(element -> values.add(scalar(where, element)));
        if (values.isEmpty()) {
            return new String[0];
        }
        Class<?> kind = values.get(0).getClass();
        if (kind == Long.class || values.stream().anyMatch(x -> x instanceof Long)) {
            if (values.stream().allMatch(x -> x instanceof Integer || x instanceof Long)) {
                return values.stream().map(x -> ((Number) x).longValue()).toArray(Long[]::new);
            }
        }
        if (values.stream().anyMatch(x -> x.getClass() != kind)) {
            throw new ErrnoException(Errno.EINVAL, where + ": an array holds values of one kind");
        }
        Object array = java.lang.reflect.Array.newInstance(kind, values.size());
        for (int i = 0; i < values.size(); i++) {
            java.lang.reflect.Array.set(array, i, values.get(i));
        }
        return array;
    }
}
