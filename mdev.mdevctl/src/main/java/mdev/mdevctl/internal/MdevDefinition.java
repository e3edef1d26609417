package mdev.mdevctl.internal;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A defined (persistent) mediated device as mdevctl keeps it: which parent, which type,
 * whether it starts automatically, and the attributes written to it, in order, at start.
 */
record MdevDefinition(UUID uuid, String parent, String type, boolean auto, List<Attr> attrs) {
    /** One attribute write: {@code echo value > <device>/name}. */
    record Attr(String name, String value) {
        Attr {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(value, "value");
        }
    }

    MdevDefinition {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(type, "type");
        attrs = List.copyOf(attrs);
    }
}
