package mdev.sysfs.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevAttributeInfo;
import mdev.core.MdevBus;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevType;

/**
 * The kernel's sysfs layout for mdev, computed from the bus at each lookup (nothing is
 * cached, so the tree is always the bus as it is now):
 *
 * <pre>
 * class/mdev_bus/&lt;parent&gt;                      -&gt; ../../devices/&lt;parent&gt;
 * devices/&lt;parent&gt;/mdev_supported_types/&lt;type&gt;/{name, description, device_api,
 *                                              available_instances, create, devices/}
 * devices/&lt;parent&gt;/mdev_supported_types/&lt;type&gt;/devices/&lt;uuid&gt; -&gt; ../../../&lt;uuid&gt;
 * devices/&lt;parent&gt;/&lt;uuid&gt;/{mdev_type -&gt; ../mdev_supported_types/&lt;type&gt;, remove, vendor attributes,
 *                           driver -&gt; ../../../bus/mdev/drivers/vfio_mdev (when bound), subsystem -&gt; ../../../bus/mdev}
 * bus/mdev/devices/&lt;uuid&gt;                      -&gt; ../../../devices/&lt;parent&gt;/&lt;uuid&gt;
 * bus/mdev/drivers/&lt;driver&gt;/&lt;uuid&gt;            -&gt; ../../../../devices/&lt;parent&gt;/&lt;uuid&gt;
 * </pre>
 *
 * The kernel puts a parent under its physical path ({@code devices/pci0000:00/0000:00:02.0});
 * here every parent is directly under {@code devices/}, which tools reach through the same
 * links. Writes behave as the kernel's store functions: {@code create} takes a UUID,
 * {@code remove} a non-zero number, a vendor attribute its own text; a failure is the errno
 * the write returns.
 */
final class SysfsTree {
    /** A node of the tree. */
    sealed interface Node permits Dir, Link, Attr {
    }

    record Dir(List<String> entries) implements Node {
    }

    record Link(String target) implements Node {
    }

    /** An attribute file: mode 0444, 0200 or 0644, and what reading and writing do. */
    record Attr(int mode, Show show, Store store) implements Node {
        boolean readable() {
            return (mode & 0444) != 0;
        }

        boolean writable() {
            return (mode & 0200) != 0;
        }
    }

    interface Show {
        String show();
    }

    interface Store {
        void store(String value);
    }

    private static final String TYPES = "mdev_supported_types";
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    private static final Pattern UUID_ANY_CASE =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    /** kernel UUID_STRING_LEN */
    private static final int UUID_STRING_LEN = 36;

    private final MdevBus bus;

    SysfsTree(MdevBus bus) {
        this.bus = bus;
    }

    /** The node at {@code path} ("/" or "/a/b"), or empty when there is none (ENOENT). */
    Optional<Node> lookup(String path) {
        List<String> p = new ArrayList<>();
        for (String part : path.split("/")) {
            if (!part.isEmpty()) {
                p.add(part);
            }
        }
        try {
            return Optional.ofNullable(lookup(p));
        } catch (ErrnoException e) {
            // a parent or device that went away between two calls
            return Optional.empty();
        }
    }

    private Node lookup(List<String> p) {
        int n = p.size();
        if (n == 0) {
            return new Dir(List.of("bus", "class", "devices"));
        }
        switch (p.get(0)) {
            case "class":
                if (n == 1) {
                    return new Dir(List.of("mdev_bus"));
                }
                if (!p.get(1).equals("mdev_bus")) {
                    return null;
                }
                if (n == 2) {
                    return new Dir(bus.parents());
                }
                return n == 3 && bus.parents().contains(p.get(2)) ? new Link("../../devices/" + p.get(2)) : null;
            case "bus":
                if (n == 1) {
                    return new Dir(List.of("mdev"));
                }
                if (!p.get(1).equals("mdev")) {
                    return null;
                }
                if (n == 2) {
                    return new Dir(List.of("devices", "drivers"));
                }
                if (p.get(2).equals("drivers")) {
                    return driversNode(p.subList(3, n));
                }
                if (!p.get(2).equals("devices")) {
                    return null;
                }
                if (n == 3) {
                    return new Dir(bus.devices().stream().map(d -> d.uuid().toString()).toList());
                }
                return n == 4 ? device(p.get(3)).map(d -> (Node) new Link("../../../devices/" + d.parent() + "/" + d.uuid()))
                        .orElse(null) : null;
            case "devices":
                if (n == 1) {
                    return new Dir(bus.parents());
                }
                return parentNode(p.get(1), p.subList(2, n));
            default:
                return null;
        }
    }

    private Node parentNode(String parent, List<String> rest) {
        if (!bus.parents().contains(parent)) {
            return null;
        }
        if (rest.isEmpty()) {
            List<String> entries = new ArrayList<>();
            entries.add(TYPES);
            devicesOf(parent, null).forEach(d -> entries.add(d.uuid().toString()));
            return new Dir(entries);
        }
        if (rest.get(0).equals(TYPES)) {
            return typesNode(parent, rest.subList(1, rest.size()));
        }
        Optional<MdevDevice> device = device(rest.get(0)).filter(d -> d.parent().equals(parent));
        return device.map(d -> deviceNode(d, rest.subList(1, rest.size()))).orElse(null);
    }

    private Node typesNode(String parent, List<String> rest) {
        List<MdevType> types = bus.types(parent);
        if (rest.isEmpty()) {
            return new Dir(types.stream().map(MdevType::id).toList());
        }
        Optional<MdevType> found = types.stream().filter(t -> t.id().equals(rest.get(0))).findFirst();
        if (found.isEmpty()) {
            return null;
        }
        MdevType type = found.get();
        if (rest.size() == 1) {
            List<String> entries = new ArrayList<>();
            if (!type.name().isEmpty()) {
                entries.add("name");
            }
            if (!type.description().isEmpty()) {
                entries.add("description");
            }
            entries.addAll(List.of("device_api", "available_instances", "create", "devices"));
            return new Dir(entries);
        }
        String leaf = rest.get(1);
        if (leaf.equals("devices")) {
            if (rest.size() == 2) {
                return new Dir(devicesOf(parent, type.id()).stream().map(d -> d.uuid().toString()).toList());
            }
            return rest.size() == 3 && devicesOf(parent, type.id()).stream().anyMatch(d -> d.uuid().toString().equals(rest.get(2)))
                    ? new Link("../../../" + rest.get(2)) : null;
        }
        if (rest.size() != 2) {
            return null;
        }
        // each read asks the bus again: available_instances changes as devices come and go
        return switch (leaf) {
            case "name" -> type.name().isEmpty() ? null : readOnly(() -> currentType(parent, type.id()).name() + "\n");
            case "description" -> type.description().isEmpty() ? null
                    : readOnly(() -> currentType(parent, type.id()).description() + "\n");
            case "device_api" -> readOnly(() -> currentType(parent, type.id()).deviceApi() + "\n");
            case "available_instances" -> readOnly(() -> currentType(parent, type.id()).availableInstances() + "\n");
            case "create" -> new Attr(0200, null, value -> create(parent, type.id(), value));
            default -> null;
        };
    }

    /** The class driver's name in sysfs: vfio_mdev, virtio_mdev. */
    static String driverName(int classId) {
        return MdevClassId.name(classId) + "_mdev";
    }

    /** bus/mdev/drivers: a directory per class driver that has devices bound, linking them. */
    private Node driversNode(List<String> rest) {
        List<MdevDevice> bound = bus.devices().stream().filter(d -> bus.isBound(d.uuid())).toList();
        if (rest.isEmpty()) {
            return new Dir(bound.stream().map(d -> driverName(d.classId())).distinct().sorted().toList());
        }
        List<MdevDevice> ofDriver = bound.stream().filter(d -> driverName(d.classId()).equals(rest.get(0))).toList();
        if (ofDriver.isEmpty()) {
            return null;
        }
        if (rest.size() == 1) {
            return new Dir(ofDriver.stream().map(d -> d.uuid().toString()).toList());
        }
        return rest.size() == 2 ? ofDriver.stream().filter(d -> d.uuid().toString().equals(rest.get(1))).findFirst()
                .map(d -> (Node) new Link("../../../../devices/" + d.parent() + "/" + d.uuid())).orElse(null) : null;
    }

    private Node deviceNode(MdevDevice device, List<String> rest) {
        UUID uuid = device.uuid();
        List<MdevAttributeInfo> attributes = bus.attributeInfo(uuid);
        boolean bound = bus.isBound(uuid);
        if (rest.isEmpty()) {
            List<String> entries = new ArrayList<>();
            if (bound) {
                entries.add("driver");
            }
            entries.addAll(List.of("mdev_type", "remove", "subsystem"));
            attributes.forEach(a -> entries.add(a.name()));
            return new Dir(entries);
        }
        if (rest.size() != 1) {
            return null;
        }
        String leaf = rest.get(0);
        if (leaf.equals("mdev_type")) {
            return new Link("../" + TYPES + "/" + device.type());
        }
        if (leaf.equals("subsystem")) {
            return new Link("../../../bus/mdev");
        }
        if (leaf.equals("driver")) {
            return bound ? new Link("../../../bus/mdev/drivers/" + driverName(device.classId())) : null;
        }
        if (leaf.equals("remove")) {
            return new Attr(0200, null, value -> remove(uuid, value));
        }
        return attributes.stream().filter(a -> a.name().equals(leaf)).findFirst()
                .map(a -> (Node) new Attr(a.mode(), () -> bus.readAttribute(uuid, a.name()),
                        value -> bus.writeAttribute(uuid, a.name(), value)))
                .orElse(null);
    }

    private static Attr readOnly(Show show) {
        return new Attr(0444, show, null);
    }

    private MdevType currentType(String parent, String id) {
        return bus.types(parent).stream().filter(t -> t.id().equals(id)).findFirst()
                .orElseThrow(() -> new ErrnoException(Errno.ENODEV, "type " + id + " of " + parent + " is gone"));
    }

    private Optional<MdevDevice> device(String name) {
        if (!UUID_TEXT.matcher(name).matches()) {
            return Optional.empty();
        }
        return bus.device(UUID.fromString(name));
    }

    private List<MdevDevice> devicesOf(String parent, String type) {
        return bus.devices().stream()
                .filter(d -> d.parent().equals(parent) && (type == null || d.type().equals(type)))
                .toList();
    }

    /**
     * mdev_sysfs.c create_store: a UUID's length or one more (the newline of {@code echo}),
     * EINVAL otherwise; the first 36 characters parsed.
     */
    private void create(String parent, String type, String value) {
        if (value.length() < UUID_STRING_LEN || value.length() > UUID_STRING_LEN + 1) {
            throw new ErrnoException(Errno.EINVAL, "create takes a UUID and a newline, got " + value.length()
                    + " characters: '" + value.strip() + "'");
        }
        String text = value.substring(0, UUID_STRING_LEN);
        if (!UUID_ANY_CASE.matcher(text).matches()) {
            throw new ErrnoException(Errno.EINVAL, "'" + text + "' is not a UUID");
        }
        bus.create(parent, type, UUID.fromString(text));
    }

    /** mdev_sysfs.c remove_store: kstrtoul(buf, 0); a non-zero value removes the device. */
    private void remove(UUID uuid, String value) {
        String text = value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
        long number;
        try {
            number = text.startsWith("0x") || text.startsWith("0X") ? Long.parseUnsignedLong(text.substring(2), 16)
                    : text.length() > 1 && text.startsWith("0") ? Long.parseUnsignedLong(text.substring(1), 8)
                    : Long.parseUnsignedLong(text);
        } catch (NumberFormatException e) {
            throw new ErrnoException(Errno.EINVAL, "remove takes a number, got '" + text + "'");
        }
        if (number != 0) {
            bus.remove(uuid);
        }
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
