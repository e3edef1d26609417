package mdev.web.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The API's requests, validated before anything runs (as libvfio-user keeps its
 * {@code is_valid_*} apart from the handlers): the path names a known resource with
 * well-formed ids, the method is one it takes, a body is a JSON object of the fields expected
 * and no bigger than {@link #MAX_BODY}. A request that is not valid is an {@link ErrnoException}
 * (EINVAL for a malformed value, ENOENT for an unknown path) naming what was wrong.
 */
final class ApiRequests {
    static final int MAX_BODY = 64 * 1024;
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.:+-]{1,128}");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a request asks for. */
    enum Kind {
        STATE, PARENTS, DEVICES, DEVICE, ATTRIBUTES, ATTRIBUTE, DISPLAY, DEFINITIONS, DEFINITION, DEFINITION_START,
        DEVICE_STOP, SOCKETS, BUNDLES, BUNDLE_START, BUNDLE_STOP
    }

    /** A request that names a known resource: its kind, method, and the ids in its path. */
    record Route(Kind kind, String method, UUID uuid, String name) {
        boolean changes() {
            return !method.equals("GET");
        }
    }

    /** 405: the resource exists but does not take this method. */
    static final class MethodNotAllowed extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String allowed;

        MethodNotAllowed(String method, String path, String allowed) {
            super(method + " is not allowed on " + path + "; it takes " + allowed);
            this.allowed = allowed;
        }
    }

    private ApiRequests() {
    }

    /** Validates method and path (below /mdev/api) into a route. */
    static Route route(String method, String pathInfo) {
        String path = pathInfo == null || pathInfo.isEmpty() ? "/" : pathInfo;
        List<String> parts = List.of(path.replaceAll("^/+|/+$", "").split("/+"));
        if (parts.size() == 1 && parts.get(0).isEmpty()) {
            parts = List.of();
        }
        if (parts.isEmpty()) {
            throw new ErrnoException(Errno.ENOENT, "no resource '" + path + "'; see /mdev/api/state");
        }
        String head = parts.get(0);
        int n = parts.size();
        switch (head) {
            case "state", "parents", "sockets" -> {
                only(n, 1, path);
                allow(method, path, "GET");
                return new Route(head.equals("state") ? Kind.STATE : head.equals("parents") ? Kind.PARENTS : Kind.SOCKETS,
                        method, null, null);
            }
            case "devices" -> {
                if (n == 1) {
                    allow(method, path, "GET", "POST");
                    return new Route(Kind.DEVICES, method, null, null);
                }
                UUID uuid = uuid(parts.get(1));
                if (n == 2) {
                    allow(method, path, "GET", "DELETE");
                    return new Route(Kind.DEVICE, method, uuid, null);
                }
                switch (parts.get(2)) {
                    case "attributes" -> {
                        if (n == 3) {
                            allow(method, path, "GET");
                            return new Route(Kind.ATTRIBUTES, method, uuid, null);
                        }
                        only(n, 4, path);
                        allow(method, path, "PUT");
                        return new Route(Kind.ATTRIBUTE, method, uuid, name(parts.get(3), "attribute"));
                    }
                    case "display.png" -> {
                        only(n, 3, path);
                        allow(method, path, "GET");
                        return new Route(Kind.DISPLAY, method, uuid, null);
                    }
                    case "stop" -> {
                        only(n, 3, path);
                        allow(method, path, "POST");
                        return new Route(Kind.DEVICE_STOP, method, uuid, null);
                    }
                    default -> throw unknown(path);
                }
            }
            case "definitions" -> {
                if (n == 1) {
                    allow(method, path, "GET", "POST");
                    return new Route(Kind.DEFINITIONS, method, null, null);
                }
                UUID uuid = uuid(parts.get(1));
                if (n == 2) {
                    allow(method, path, "DELETE");
                    return new Route(Kind.DEFINITION, method, uuid, null);
                }
                only(n, 3, path);
                if (!parts.get(2).equals("start")) {
                    throw unknown(path);
                }
                allow(method, path, "POST");
                return new Route(Kind.DEFINITION_START, method, uuid, null);
            }
            case "bundles" -> {
                if (n == 1) {
                    allow(method, path, "GET");
                    return new Route(Kind.BUNDLES, method, null, null);
                }
                only(n, 3, path);
                String bundle = name(parts.get(1), "bundle");
                allow(method, path, "POST");
                return switch (parts.get(2)) {
                    case "start" -> new Route(Kind.BUNDLE_START, method, null, bundle);
                    case "stop" -> new Route(Kind.BUNDLE_STOP, method, null, bundle);
                    default -> throw unknown(path);
                };
            }
            default -> throw unknown(path);
        }
    }

    private static void only(int n, int expected, String path) {
        if (n != expected) {
            throw unknown(path);
        }
    }

    private static ErrnoException unknown(String path) {
        return new ErrnoException(Errno.ENOENT, "no resource '" + path + "'");
    }

    private static void allow(String method, String path, String... methods) {
        if (!Set.of(methods).contains(method)) {
            throw new MethodNotAllowed(method, path, String.join(", ", methods));
        }
    }

    static UUID uuid(String text) {
        if (text == null || !UUID_TEXT.matcher(text).matches()) {
            throw new ErrnoException(Errno.EINVAL, "'" + shown(text) + "' is not a UUID");
        }
        return UUID.fromString(text);
    }

    private static String name(String text, String what) {
        if (!NAME.matcher(text).matches()) {
            throw new ErrnoException(Errno.EINVAL, what + " name '" + shown(text) + "' is not 1 to 128 of A-Z a-z 0-9 _ . : + -");
        }
        return text;
    }

    /** Input as it may be shown in a message: at most 64 characters, control characters escaped. */
    static String shown(String text) {
        if (text == null) {
            return "";
        }
        String cut = text.length() > 64 ? text.substring(0, 64) + "..." : text;
        StringBuilder out = new StringBuilder();
        cut.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\x%02x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }

    /** Reads a body of at most {@link #MAX_BODY} bytes as text; E2BIG past it. */
    static String body(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_BODY + 1);
        if (bytes.length > MAX_BODY) {
            throw new ErrnoException(Errno.E2BIG, "request body is over " + MAX_BODY + " bytes");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    /** A body's JSON object, with only the fields named in {@code allowed}. */
    static JsonNode object(String body, Set<String> allowed) {
        JsonNode node;
        try {
            node = JSON.readTree(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ErrnoException(Errno.EINVAL, "request body is not JSON: " + shown(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new ErrnoException(Errno.EINVAL, "request body is not JSON: " + shown(e.getMessage()));
        }
        if (node == null || !node.isObject()) {
            throw new ErrnoException(Errno.EINVAL, "request body must be a JSON object");
        }
        node.fieldNames().forEachRemaining(f -> {
            if (!allowed.contains(f)) {
                throw new ErrnoException(Errno.EINVAL, "unknown field '" + shown(f) + "'; the fields are "
                        + String.join(", ", allowed.stream().sorted().toList()));
            }
        });
        return node;
    }

    /** A required text field that is a name (parent, type). */
    static String requiredName(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual()) {
            throw new ErrnoException(Errno.EINVAL, "field '" + field + "' must be given as text");
        }
        return name(value.asText(), field);
    }

    /** An optional UUID field. */
    static UUID optionalUuid(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new ErrnoException(Errno.EINVAL, "field '" + field + "' must be a UUID as text");
        }
        return uuid(value.asText());
    }

    static boolean optionalBoolean(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new ErrnoException(Errno.EINVAL, "field '" + field + "' must be true or false");
        }
        return value.asBoolean();
    }
}
