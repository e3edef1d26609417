package mdev.mdevctl.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevBus;
import mdev.core.MdevDevice;
import mdev.core.MdevType;

/**
 * mdevctl's verbs (mdevctl 1.2, src/main.rs and src/mdev.rs) over the bus and the definition
 * store: where mdevctl reads or writes sysfs, this asks the bus. Each verb returns what
 * mdevctl prints on standard output (without the final newline of its {@code println}) and
 * fails with an {@link ErrnoException} whose message is mdevctl's; a cause, when there is one,
 * is the bus's error that mdevctl would print under "Caused by".
 *
 * <p>Not thread-safe: the component runs one verb at a time.
 */
final class MdevctlEngine {
    private final MdevBus bus;
    private final DefinitionStore store;
    private final Consumer<String> warn;

    private final Callouts callouts;
    /** Whether the verb running was given --force (callouts that refuse are overridden). */
    private boolean force;

    MdevctlEngine(MdevBus bus, DefinitionStore store, Consumer<String> warn) {
        this.bus = bus;
        this.store = store;
        this.warn = warn;
        this.callouts = new Callouts(store.directory(), warn);
    }

    /** --force for the next verb: a callout script that refuses is overridden. */
    void force(boolean force) {
        this.force = force;
    }

    /** A verb begins: callout scripts are looked for afresh, and --force is off until the verb sets it. */
    void newVerb() {
        callouts.newVerb();
        force = false;
    }

    /** An action with the callouts around it: pre (which may refuse), the action, post and notifiers. */
    private void withCallouts(Callouts.Action action, Dev dev, Runnable body) {
        callouts(dev).invoke(action, force, body);
    }

    private Callouts.Session callouts(Dev dev) {
        MdevDefinition d = dev.definition();
        // compact, as mdevctl's serde_json to_string
        return callouts.session(d, SerdeJson.definition(d.type(), d.auto(), d.attrs()).toString());
    }

    /**
     * The attributes a callout script reads from the running device ({@code get attributes}),
     * or null when no script answers; a script's failure or malformed answer is an error.
     */
    private List<MdevDefinition.Attr> liveAttributes(Dev dev) {
        JsonNode attrs = callouts(dev).attributes();
        return attrs == null ? null : SerdeJson.attributes(attrs);
    }

    /** A device as mdevctl's MDev holds it while a verb runs. */
    private static final class Dev {
        final UUID uuid;
        String parent;
        String type;
        boolean auto;
        List<MdevDefinition.Attr> attrs = new ArrayList<>();
        boolean active;

        Dev(UUID uuid) {
            this.uuid = uuid;
        }

        static Dev of(MdevDefinition d) {
            Dev dev = new Dev(d.uuid());
            dev.parent = d.parent();
            dev.type = d.type();
            dev.auto = d.auto();
            dev.attrs = new ArrayList<>(d.attrs());
            return dev;
        }

        MdevDefinition definition() {
            return new MdevDefinition(uuid, parent, type, auto, attrs);
        }
    }

    // ---- sysfs, as the bus answers it ---------------------------------------------------

    /** mdevctl's load_from_sysfs: active only if a device with this UUID matches what is known. */
    private void loadFromBus(Dev dev) {
        Optional<MdevDevice> live = bus.device(dev.uuid);
        if (live.isEmpty()
                || (dev.parent != null && !dev.parent.equals(live.get().parent()))
                || (dev.type != null && !dev.type.equals(live.get().type()))) {
            return;
        }
        dev.parent = live.get().parent();
        dev.type = live.get().type();
        dev.active = true;
    }

    private boolean isDefined(Dev dev) {
        return dev.parent != null && store.exists(dev.parent, dev.uuid);
    }

    /** Definitions by parent (sorted), each with whether it is running. */
    private Map<String, List<Dev>> definedDevices(UUID uuid, String parent) {
        Map<String, List<Dev>> byParent = new TreeMap<>();
        for (MdevDefinition d : store.list(uuid, parent)) {
            Dev dev = Dev.of(d);
            loadFromBus(dev);
            byParent.computeIfAbsent(dev.parent, p -> new ArrayList<>()).add(dev);
        }
        return byParent;
    }

    private static int count(Map<String, List<Dev>> devices) {
        return devices.values().stream().mapToInt(List::size).sum();
    }

    // ---- list ---------------------------------------------------------------------------

    String list(boolean defined, boolean dumpJson, boolean verbose, UUID uuid, String parent) {
        Map<String, List<Dev>> devices = defined ? definedDevices(uuid, parent) : activeDevices(uuid, parent);
        // uuid crate ordering: by bytes, which is the order of the lower-case text
        Comparator<Dev> byUuid = Comparator.comparing(d -> d.uuid.toString());
        devices.values().forEach(list -> list.sort(byUuid));
        if (dumpJson) {
            if (uuid == null || count(devices) > 1) {
                return SerdeJson.pretty(hierarchy(devices));
            }
            return devices.values().stream().flatMap(List::stream).findFirst()
                    .map(d -> SerdeJson.pretty(SerdeJson.definition(d.type, d.auto, d.attrs)))
                    .orElse("[]");
        }
        StringBuilder out = new StringBuilder();
        for (List<Dev> children : devices.values()) {
            for (Dev d : children) {
                out.append(d.uuid).append(' ').append(d.parent).append(' ').append(d.type).append(' ')
                        .append(d.auto ? "auto" : "manual");
                if (defined && d.active) {
                    out.append(" (active)");
                } else if (!defined && isDefined(d)) {
                    out.append(" (defined)");
                }
                out.append('\n');
                if (verbose && !d.attrs.isEmpty()) {
                    out.append("  Attrs:\n");
                    for (int i = 0; i < d.attrs.size(); i++) {
                        MdevDefinition.Attr a = d.attrs.get(i);
                        out.append("    @{").append(i).append("}: {\"").append(a.name()).append("\":\"")
                                .append(a.value()).append("\"}\n");
                    }
                }
            }
        }
        return out.toString();
    }

    /** Running devices, with their definition's start mode and attributes where there is one. */
    private Map<String, List<Dev>> activeDevices(UUID uuid, String parent) {
        Map<String, List<Dev>> byParent = new TreeMap<>();
        for (MdevDevice live : bus.devices()) {
            if ((uuid != null && !uuid.equals(live.uuid())) || (parent != null && !parent.equals(live.parent()))) {
                continue;
            }
            Dev dev = new Dev(live.uuid());
            dev.parent = live.parent();
            dev.type = live.type();
            dev.active = true;
            // a definition of another type does not describe this device (mdevctl would
            // overwrite the live type with it; we keep what runs)
            store.list(live.uuid(), live.parent()).stream().filter(d -> d.type().equals(live.type()))
                    .findFirst().ifPresent(d -> {
                        dev.auto = d.auto();
                        dev.attrs = new ArrayList<>(d.attrs());
                    });
            // mdevctl 1.3: the attributes a callout script reads from the running device; without
            // a script, the definition's (as mdevctl 1.2 shows them)
            try {
                List<MdevDefinition.Attr> read = liveAttributes(dev);
                if (read != null) {
                    dev.attrs = new ArrayList<>(read);
                }
            } catch (ErrnoException unreadable) {
                // as mdevctl: the listing goes on without them (the script's stderr was reported)
            }
            byParent.computeIfAbsent(dev.parent, p -> new ArrayList<>()).add(dev);
        }
        return byParent;
    }

    /** {@code [ { parent: [ { uuid: {...} }, ... ], ... } ]}, or {@code []} when empty. */
    private static ArrayNode hierarchy(Map<String, List<Dev>> devices) {
        ArrayNode root = SerdeJson.MAPPER.createArrayNode();
        if (devices.isEmpty()) {
            return root;
        }
        ObjectNode parents = root.addObject();
        devices.forEach((parent, children) -> {
            ArrayNode list = parents.putArray(parent);
            for (Dev d : children) {
                list.addObject().set(d.uuid.toString(), SerdeJson.definition(d.type, d.auto, d.attrs));
            }
        });
        return root;
    }

    // ---- types --------------------------------------------------------------------------

    String types(String parent, boolean dumpJson) {
        Map<String, List<MdevType>> byParent = new TreeMap<>();
        for (String name : bus.parents()) {
            if (parent != null && !parent.equals(name)) {
                continue;
            }
            List<MdevType> types = new ArrayList<>(bus.types(name));
            types.sort(Comparator.comparing(MdevType::id));
            byParent.put(name, types);
        }
        if (dumpJson) {
            ArrayNode root = SerdeJson.MAPPER.createArrayNode();
            if (!byParent.isEmpty()) {
                ObjectNode parents = root.addObject();
                byParent.forEach((name, types) -> {
                    ArrayNode list = parents.putArray(name);
                    for (MdevType t : types) {
                        ObjectNode fields = list.addObject().putObject(t.id());
                        fields.put("available_instances", t.availableInstances());
                        fields.put("device_api", t.deviceApi());
                        if (!t.name().isEmpty()) {
                            fields.put("name", t.name());
                        }
                        if (!description(t).isEmpty()) {
                            fields.put("description", description(t));
                        }
                    }
                });
            }
            return SerdeJson.pretty(root);
        }
        StringBuilder out = new StringBuilder();
        byParent.forEach((name, types) -> {
            out.append(name).append('\n');
            for (MdevType t : types) {
                out.append("  ").append(t.id()).append('\n');
                out.append("    Available instances: ").append(t.availableInstances()).append('\n');
                out.append("    Device API: ").append(t.deviceApi()).append('\n');
                if (!t.name().isEmpty()) {
                    out.append("    Name: ").append(t.name()).append('\n');
                }
                if (!description(t).isEmpty()) {
                    out.append("    Description: ").append(description(t)).append('\n');
                }
            }
        });
        return out.toString();
    }

    /** mdevctl trims the description file and joins its lines with ", ". */
    private static String description(MdevType t) {
        return t.description().strip().replace("\n", ", ");
    }

    // ---- start / stop -------------------------------------------------------------------

    /** Starts a device; returns its UUID as text if mdevctl would print it (none was given). */
    String start(UUID uuid, String parent, String type, Path jsonFile) {
        Dev dev;
        if (jsonFile != null) {
            if (type != null) {
                throw new ErrnoException(Errno.EINVAL, "Device type cannot be specified separately from json file");
            }
            if (parent == null) {
                throw new ErrnoException(Errno.EINVAL, "Parent device required to start device via json file");
            }
            dev = Dev.of(SerdeJson.toDefinition(uuid == null ? UUID.randomUUID() : uuid, parent,
                    readJsonFile(jsonFile)));
        } else {
            dev = null;
            if (uuid != null) {
                Map<String, List<Dev>> defined = definedDevices(uuid, parent);
                int n = count(defined);
                if (n > 1) {
                    throw new ErrnoException(Errno.EINVAL,
                            "Multiple definitions found for device " + uuid + ". Please specify a parent.");
                }
                if (n == 1) {
                    Dev d = defined.values().iterator().next().get(0);
                    if (type != null && !type.equals(d.type)) {
                        throw new ErrnoException(Errno.EEXIST, "Device " + d.uuid + " already exists on parent "
                                + d.parent + " with type " + d.type);
                    }
                    dev = d;
                }
            }
            if (dev == null) {
                dev = new Dev(uuid == null ? UUID.randomUUID() : uuid);
                dev.parent = parent;
                dev.type = type;
            }
            if (dev.type != null && dev.parent == null) {
                throw new ErrnoException(Errno.EINVAL, "can't provide type without parent");
            }
            if (dev.type == null || dev.parent == null) {
                throw new ErrnoException(Errno.EINVAL, "Device is insufficiently specified");
            }
        }
        startDevice(dev);
        return uuid == null ? dev.uuid.toString() : "";
    }

    /** mdevctl's MDev::start: create, then each attribute in order; a failing one removes the device. */
    private void startDevice(Dev dev) {
        withCallouts(Callouts.Action.START, dev, () -> startDeviceNow(dev));
    }

    private void startDeviceNow(Dev dev) {
        create(dev);
        for (MdevDefinition.Attr attr : dev.attrs) {
            try {
                writeAttribute(dev, attr);
            } catch (ErrnoException e) {
                stopDevice(dev.uuid);
                throw e;
            }
        }
    }

    private void create(Dev dev) {
        Optional<MdevDevice> existing = bus.device(dev.uuid);
        if (existing.isPresent()) {
            if (!existing.get().parent().equals(dev.parent)) {
                throw new ErrnoException(Errno.EEXIST, "Device exists under different parent");
            }
            if (!existing.get().type().equals(dev.type)) {
                throw new ErrnoException(Errno.EEXIST, "Device exists with different type");
            }
            throw new ErrnoException(Errno.EEXIST, "Device already exists");
        }
        requireParent(dev.parent);
        MdevType type = bus.types(dev.parent).stream().filter(t -> t.id().equals(dev.type)).findFirst()
                .orElseThrow(() -> new ErrnoException(Errno.EINVAL,
                        "Parent " + dev.parent + " does not support mdev type " + dev.type));
        if (type.availableInstances() == 0) {
            throw new ErrnoException(Errno.ENOSPC, "No available instances of " + dev.type + " on " + dev.parent);
        }
        try {
            bus.create(dev.parent, dev.type, dev.uuid);
        } catch (ErrnoException e) {
            throw new ErrnoException(e.errno(),
                    "Failed to create mdev " + dev.uuid + ", type " + dev.type + " on " + dev.parent, e);
        }
        dev.active = true;
    }

    /** mdevctl's find_parent_dir, with its hint when only the case differs. */
    private void requireParent(String parent) {
        List<String> parents = bus.parents();
        if (parents.contains(parent)) {
            return;
        }
        for (String known : parents) {
            if (known.toLowerCase(Locale.ROOT).equals(parent.toLowerCase(Locale.ROOT))) {
                throw new ErrnoException(Errno.ENODEV,
                        "Unable to find parent device '" + parent + "'. Did you mean '" + known + "'?");
            }
        }
        throw new ErrnoException(Errno.ENODEV, "Unable to find parent device '" + parent + "'");
    }

    private void writeAttribute(Dev dev, MdevDefinition.Attr attr) {
        List<String> names;
        try {
            names = bus.attributes(dev.uuid);
        } catch (ErrnoException e) {
            throw new ErrnoException(e.errno(), "Invalid attribute '" + attr.name() + "'", e);
        }
        if (!names.contains(attr.name())) {
            throw new ErrnoException(Errno.ENOENT, "Invalid attribute '" + attr.name() + "'");
        }
        try {
            bus.writeAttribute(dev.uuid, attr.name(), attr.value());
        } catch (ErrnoException e) {
            throw new ErrnoException(e.errno(),
                    "Failed to write " + attr.value() + " to attribute " + attr.name(), e);
        }
    }

    void stop(UUID uuid) {
        Optional<MdevDevice> running = bus.device(uuid);
        if (running.isEmpty()) {
            stopDevice(uuid);
            return;
        }
        Dev dev = new Dev(uuid);
        dev.parent = running.get().parent();
        dev.type = running.get().type();
        withCallouts(Callouts.Action.STOP, dev, () -> stopDevice(uuid));
    }

    private void stopDevice(UUID uuid) {
        try {
            if (bus.device(uuid).isEmpty()) {
                // what writing to <sysfs>/<uuid>/remove answers when there is no such device
                throw new ErrnoException(Errno.ENOENT, "no mediated device " + uuid);
            }
            bus.remove(uuid);
        } catch (ErrnoException e) {
            throw new ErrnoException(e.errno(), "Error removing device " + uuid, e);
        }
    }

    // ---- define / undefine / modify ----------------------------------------------------

    /** Defines a device; returns its UUID as text if mdevctl would print it (none was given). */
    String define(UUID uuid, boolean auto, String parent, String type, Path jsonFile) {
        Dev dev;
        UUID id = uuid == null ? UUID.randomUUID() : uuid;
        if (jsonFile != null) {
            if (type != null) {
                throw new ErrnoException(Errno.EINVAL,
                        "Device type cannot be specified separately from " + quoted(jsonFile));
            }
            if (parent == null) {
                throw new ErrnoException(Errno.EINVAL, "Parent device required to define device via " + quoted(jsonFile));
            }
            if (store.exists(parent, id)) {
                throw new ErrnoException(Errno.EEXIST,
                        "Cowardly refusing to overwrite existing config for " + parent + "/" + id);
            }
            dev = Dev.of(SerdeJson.toDefinition(id, parent, readJsonFile(jsonFile)));
        } else {
            dev = new Dev(id);
            if (uuid != null) {
                dev.parent = parent;
                dev.type = type;
                loadFromBus(dev);
                if (parent == null && (!dev.active || type != null)) {
                    throw new ErrnoException(Errno.EINVAL, "No parent specified");
                }
            }
            dev.auto = auto;
            if (parent != null) {
                dev.parent = parent;
            }
            if (type != null) {
                dev.type = type;
            }
            if (dev.parent == null) {
                throw new ErrnoException(Errno.EINVAL, "No parent specified");
            }
            if (dev.type == null) {
                throw new ErrnoException(Errno.EINVAL, "No type specified");
            }
            if (isDefined(dev)) {
                throw new ErrnoException(Errno.EEXIST, "Device " + dev.uuid + " on " + dev.parent + " already defined");
            }
        }
        Dev defined = dev;
        withCallouts(Callouts.Action.DEFINE, defined, () -> {
            if (defined.active && jsonFile == null) {
                // mdevctl 1.3: a running device is defined with the attributes its script reads from it
                List<MdevDefinition.Attr> live = liveAttributes(defined);
                if (live != null) {
                    defined.attrs.addAll(live);
                }
            }
            store.write(defined.definition());
        });
        return uuid == null ? dev.uuid.toString() : "";
    }

    /**
     * Removes the definitions of {@code uuid}, readable or not (a file that does not parse goes
     * too, as in mdevctl 1.3); the callouts hear of the readable ones.
     */
    void undefine(UUID uuid, String parent) {
        if (uuid == null) {
            throw new ErrnoException(Errno.ENOENT, "No devices match the specified uuid");
        }
        List<MdevDefinition> readable = store.list(uuid, parent);
        for (MdevDefinition d : readable) {
            withCallouts(Callouts.Action.UNDEFINE, Dev.of(d), () -> store.delete(d));
        }
        if (store.deleteFiles(uuid, parent) == 0 && readable.isEmpty()) {
            throw new ErrnoException(Errno.ENOENT, "No devices match the specified uuid");
        }
    }

    /** What {@code modify} changes; null and false leave a field as it is. */
    record Modification(String type, boolean auto, boolean manual, String addAttr, boolean delAttr, Integer index,
            String value, Path jsonFile, boolean live, boolean defined) {
    }

    void modify(UUID uuid, String parent, Modification m) {
        if (m.live()) {
            modifyLive(uuid, parent, m);
            return;
        }
        if (m.auto() && m.manual()) {
            throw new ErrnoException(Errno.EINVAL, "'auto' and 'manual' are mutually exclusive");
        }
        Dev dev;
        if (m.jsonFile() != null) {
            // the file replaces type, start and attributes of the definition
            if (parent == null) {
                throw new ErrnoException(Errno.EINVAL, "Parent device required to modify device via json file");
            }
            definedDevice(uuid, parent);
            dev = Dev.of(SerdeJson.toDefinition(uuid, parent, readJsonFile(m.jsonFile())));
        } else {
            dev = definedDevice(uuid, parent);
        }
        if (m.type() != null) {
            dev.type = m.type();
        }
        if (m.auto()) {
            dev.auto = true;
        } else if (m.manual()) {
            dev.auto = false;
        }
        if (m.addAttr() != null) {
            if (m.value() == null) {
                throw new ErrnoException(Errno.EINVAL, "No attribute value provided");
            }
            int at = m.index() == null ? dev.attrs.size() : m.index();
            if (at < 0 || at > dev.attrs.size()) {
                throw new ErrnoException(Errno.EINVAL, "Attribute index " + m.index() + " is invalid");
            }
            dev.attrs.add(at, new MdevDefinition.Attr(m.addAttr(), m.value()));
        } else if (m.delAttr()) {
            if (m.index() != null) {
                // mdevctl 1.2 accepted index == length here and then panicked
                if (m.index() < 0 || m.index() >= dev.attrs.size()) {
                    throw new ErrnoException(Errno.EINVAL, "Attribute index " + m.index() + " is invalid");
                }
                dev.attrs.remove((int) m.index());
            } else if (!dev.attrs.isEmpty()) {
                dev.attrs.remove(dev.attrs.size() - 1);
            }
        }
        Dev modified = dev;
        withCallouts(Callouts.Action.MODIFY, modified, () -> store.write(modified.definition()));
    }

    /**
     * mdevctl 1.3's {@code modify --live --jsonfile F [--defined]}: the running device takes the
     * file's attributes through its versioned callout script ({@code live modify}); with
     * {@code --defined} its definition is rewritten from the file too. Type, parent and start mode
     * of a running device do not change.
     */
    private void modifyLive(UUID uuid, String parent, Modification m) {
        if (m.type() != null) {
            throw new ErrnoException(Errno.EINVAL, "'type' cannot be changed on active mdev");
        }
        if (m.auto()) {
            throw new ErrnoException(Errno.EINVAL, "'auto' cannot be changed on active mdev");
        }
        if (m.manual()) {
            throw new ErrnoException(Errno.EINVAL, "'manual' cannot be changed on active mdev");
        }
        Dev active = activeDevice(uuid, parent);
        if (m.jsonFile() == null) {
            throw new ErrnoException(Errno.EINVAL, "'live' option must be used with 'jsonfile' option");
        }
        Dev wanted = Dev.of(SerdeJson.toDefinition(uuid, active.parent, readJsonFile(m.jsonFile())));
        if (!wanted.type.equals(active.type)) {
            throw new ErrnoException(Errno.EINVAL, "'type' cannot be changed on active mdev");
        }
        if (m.defined()) {
            Dev defined = definedDevice(uuid, active.parent);
            if (!defined.type.equals(active.type)) {
                throw new ErrnoException(Errno.EINVAL, "'type' of active and defined mdev does not match");
            }
        }
        wanted.active = true;
        callouts(wanted).modifyLive();
        if (m.defined()) {
            withCallouts(Callouts.Action.MODIFY, wanted, () -> store.write(wanted.definition()));
        }
    }

    /** mdevctl's get_active_device, with its messages. */
    private Dev activeDevice(UUID uuid, String parent) {
        Map<String, List<Dev>> active = activeDevices(uuid, parent);
        if (active.isEmpty()) {
            throw new ErrnoException(Errno.ENODEV, parent == null
                    ? "Mediated device " + uuid + " is not active"
                    : "Mediated device " + parent + "/" + uuid + " is not active");
        }
        return active.values().iterator().next().get(0);
    }

    /** mdevctl's get_defined_device, with its messages. */
    private Dev definedDevice(UUID uuid, String parent) {
        Map<String, List<Dev>> defined = definedDevices(uuid, parent);
        if (defined.isEmpty()) {
            throw new ErrnoException(Errno.ENOENT, parent == null
                    ? "Mediated device " + uuid + " is not defined"
                    : "Mediated device " + parent + "/" + uuid + " is not defined");
        }
        if (defined.size() > 1) {
            throw new ErrnoException(Errno.EINVAL, parent == null
                    ? "Multiple definitions found for " + uuid + ", specify a parent"
                    : "Multiple definitions found for " + parent + "/" + uuid);
        }
        return defined.values().iterator().next().get(0);
    }

    // ---- auto-start ---------------------------------------------------------------------

    /**
     * mdevctl's start-parent-mdevs: starts every {@code auto} definition of {@code parent}
     * that is not running. A failure is reported (once, here) and the others still start.
     * Returns how many started.
     */
    int startParentDevices(String parent) {
        int started = 0;
        for (MdevDefinition d : store.list(null, parent)) {
            if (!d.auto() || bus.device(d.uuid()).isPresent()) {
                continue;
            }
            try {
                startDevice(Dev.of(d));
                started++;
            } catch (ErrnoException e) {
                warn.accept("auto-start of " + parent + "/" + d.uuid() + " failed: " + Reports.oneLine(e));
            }
        }
        return started;
    }

    // ---- helpers ------------------------------------------------------------------------

    private static JsonNode readJsonFile(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            Errno errno = e instanceof java.nio.file.NoSuchFileException ? Errno.ENOENT
                    : e instanceof java.nio.file.AccessDeniedException ? Errno.EACCES : Errno.EIO;
            throw new ErrnoException(errno, "Unable to read jsonfile " + quoted(file),
                    new ErrnoException(errno, "cannot read " + file + ": " + e.getMessage()));
        }
        return SerdeJson.parse(text, quoted(file));
    }

    /** Rust's Debug form of a path, as mdevctl prints it. */
    private static String quoted(Path file) {
        return "\"" + file + "\"";
    }
}
