package mdev.mdevctl.internal;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * JSON as mdevctl reads and writes it: serde_json with {@code preserve_order} and
 * {@code to_string_pretty} (two spaces, {@code "key": value}, {@code []} and {@code {}} for
 * empty containers), and mdevctl's checks and messages for a device's fields.
 */
final class SerdeJson {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private SerdeJson() {
    }

    /** serde_json's pretty printer: Jackson's default one writes {@code [ ]} for an empty array. */
    private static final class Pretty extends DefaultPrettyPrinter {
        private static final long serialVersionUID = 1L;

        Pretty(DefaultPrettyPrinter configured) {
            super(configured);
        }

        static Pretty create() {
            DefaultIndenter twoSpaces = new DefaultIndenter("  ", "\n");
            return new Pretty(new DefaultPrettyPrinter()
                    .withObjectIndenter(twoSpaces)
                    .withArrayIndenter(twoSpaces)
                    .withSeparators(Separators.createDefaultInstance()
                            .withObjectFieldValueSpacing(Separators.Spacing.AFTER)));
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new Pretty(this);
        }

        @Override
        public void writeEndArray(JsonGenerator g, int nrOfValues) throws IOException {
            if (nrOfValues > 0) {
                super.writeEndArray(g, nrOfValues);
            } else {
                _nesting--;
                g.writeRaw(']');
            }
        }

        @Override
        public void writeEndObject(JsonGenerator g, int nrOfEntries) throws IOException {
            if (nrOfEntries > 0) {
                super.writeEndObject(g, nrOfEntries);
            } else {
                _nesting--;
                g.writeRaw('}');
            }
        }
    }

    private static final Pretty PRETTY = Pretty.create();

    /** {@code serde_json::to_string_pretty}: no trailing newline. */
    static String pretty(JsonNode node) {
        try {
            return MAPPER.writer(PRETTY).writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of our own always serializes", e);
        }
    }

    /** Parses text; malformed JSON is EINVAL with the parser's complaint and position. */
    static JsonNode parse(String text, String source) {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null) {
                throw new ErrnoException(Errno.EINVAL, "EOF while parsing a value at line 1 column 0 in " + source);
            }
            return node;
        } catch (JsonProcessingException e) {
            var where = e.getLocation();
            throw new ErrnoException(Errno.EINVAL, e.getOriginalMessage().lines().findFirst().orElse("malformed JSON")
                    + (where == null ? "" : " at line " + where.getLineNr() + " column " + where.getColumnNr())
                    + " in " + source);
        }
    }

    /** A device's definition object: {@code mdev_type}, {@code start}, {@code attrs}. */
    static ObjectNode definition(String type, boolean auto, List<MdevDefinition.Attr> attrs) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("mdev_type", type);
        node.put("start", auto ? "auto" : "manual");
        ArrayNode list = node.putArray("attrs");
        for (MdevDefinition.Attr a : attrs) {
            list.addObject().put(a.name(), a.value());
        }
        return node;
    }

    /**
     * Reads a definition object as mdevctl's {@code load_from_json} does, with its messages:
     * {@code mdev_type} and {@code start} must be there, {@code attrs} (optional) a list of
     * one-field objects with text values. Fails with EINVAL.
     */
    static MdevDefinition toDefinition(UUID uuid, String parent, JsonNode node) {
        JsonNode type = node.get("mdev_type");
        JsonNode start = node.get("start");
        if (type == null || type.isNull() || start == null || start.isNull()) {
            throw new ErrnoException(Errno.EINVAL, "invalid json");
        }
        if (!type.isTextual()) {
            throw new ErrnoException(Errno.EINVAL, "invalid json: mdev_type " + type + " is not text");
        }
        return new MdevDefinition(uuid, parent, type.asText(), "auto".equals(start.asText(null)),
                attributes(node.get("attrs")));
    }

    static List<MdevDefinition.Attr> attributes(JsonNode attrs) {
        if (attrs == null || attrs.isNull()) {
            return List.of();
        }
        if (!attrs.isArray()) {
            throw new ErrnoException(Errno.EINVAL, "attributes field is not an array");
        }
        List<MdevDefinition.Attr> list = new java.util.ArrayList<>();
        for (JsonNode attr : attrs) {
            if (!attr.isObject()) {
                throw new ErrnoException(Errno.EINVAL, "invalid JSON format for attribute: not an object");
            }
            if (attr.size() != 1) {
                throw new ErrnoException(Errno.EINVAL, "invalid JSON format for attribute: too many fields");
            }
            Map.Entry<String, JsonNode> field = attr.fields().next();
            if (!field.getValue().isTextual()) {
                throw new ErrnoException(Errno.EINVAL, "invalid JSON format for attribute {\"" + field.getKey() + "\", "
                        + field.getValue() + "}: value must be of type str");
            }
            list.add(new MdevDefinition.Attr(field.getKey(), field.getValue().asText()));
        }
        return list;
    }
}
