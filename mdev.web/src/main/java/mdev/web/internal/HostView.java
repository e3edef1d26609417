package mdev.web.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevBus;
import mdev.core.MdevClassId;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import mdev.core.MdevType;
import mdev.mdevctl.Mdevctl;
import vfio.core.FileTable;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDeviceStats;
import vfio.core.VfioDisplay;
import vfio.user.VfioUserServer;

/**
 * The host as the web view shows it, and what it may change: snapshots of parents, types,
 * devices (with their I/O counters), definitions, served sockets and bundles, taken from the
 * bus and the services of the moment; actions go to the bus, to mdevctl (define, start, stop)
 * and to the framework (bundles). The HTTP side ({@link ApiServlet}) only translates.
 */
@Component(service = HostView.class)
public final class HostView {
    /** Bundles the page may not stop: the framework, and what serves the page itself. */
    private static final List<String> KEPT_RUNNING = List.of("mdev.web", "org.apache.felix.http.jetty",
            "org.apache.felix.http.servlet-api", "org.apache.felix.scr");

    record TypeView(String id, String name, String description, String deviceApi, long availableInstances) {
    }

    record ParentView(String name, List<TypeView> types) {
    }

    record DeviceView(UUID uuid, String parent, String type, String classDriver, boolean bound, int openCount,
            boolean display, VfioDeviceStats stats) {
    }

    record DefinitionView(UUID uuid, String parent, String type, String start, boolean active) {
    }

    record SocketView(String path, UUID uuid, boolean client) {
    }

    record BundleView(long id, String name, String version, String state) {
    }

    record State(List<ParentView> parents, List<DeviceView> devices, List<DefinitionView> definitions,
            List<SocketView> sockets, List<BundleView> bundles) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final MdevBus bus;
    private final BundleContext context;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile Mdevctl mdevctl;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile VfioUserServer vfioUser;

    @Activate
    public HostView(@Reference MdevBus bus, BundleContext context) {
        this.bus = bus;
        this.context = context;
    }

    State state() {
        return new State(parents(), devices(), definitions(), sockets(), bundles());
    }

    List<ParentView> parents() {
        List<ParentView> parents = new ArrayList<>();
        for (String name : bus.parents().stream().sorted().toList()) {
            List<TypeView> types = bus.types(name).stream().sorted(Comparator.comparing(MdevType::id))
                    .map(t -> new TypeView(t.id(), t.name(), t.description(), t.deviceApi(), t.availableInstances()))
                    .toList();
            parents.add(new ParentView(name, types));
        }
        return parents;
    }

    List<DeviceView> devices() {
        List<DeviceView> devices = new ArrayList<>();
        for (MdevDevice d : bus.devices()) {
            Optional<VfioDevice> vfio = vfioDevice(d.uuid());
            devices.add(new DeviceView(d.uuid(), d.parent(), d.type(), MdevClassId.name(d.classId()),
                    bus.isBound(d.uuid()), d.openCount(), vfio.map(VfioDevice::hasDisplay).orElse(false),
                    vfio.map(VfioDevice::stats).orElse(VfioDeviceStats.NONE)));
        }
        devices.sort(Comparator.comparing(DeviceView::parent).thenComparing(v -> v.uuid().toString()));
        return devices;
    }

    DeviceView device(UUID uuid) {
        return devices().stream().filter(d -> d.uuid().equals(uuid)).findFirst()
                .orElseThrow(() -> new ErrnoException(Errno.ENODEV, "no mediated device " + uuid));
    }

    /** mdevctl's definitions ({@code list -d --dumpjson}); none without mdevctl. */
    List<DefinitionView> definitions() {
        Mdevctl m = mdevctl;
        List<DefinitionView> definitions = new ArrayList<>();
        if (m == null) {
            return definitions;
        }
        String text = m.execute(List.of("list", "-d", "--dumpjson"));
        JsonNode root;
        try {
            root = JSON.readTree(text == null ? "[]" : text);
        } catch (java.io.IOException e) {
            throw new ErrnoException(Errno.EIO, "mdevctl's listing did not parse: " + e.getMessage());
        }
        for (JsonNode parents : root) {
            parents.fields().forEachRemaining(p -> {
                for (JsonNode entry : p.getValue()) {
                    entry.fields().forEachRemaining(d -> {
                        UUID uuid = UUID.fromString(d.getKey());
                        Optional<MdevDevice> live = bus.device(uuid);
                        String type = d.getValue().path("mdev_type").asText();
                        definitions.add(new DefinitionView(uuid, p.getKey(), type, d.getValue().path("start").asText(),
                                live.isPresent() && live.get().parent().equals(p.getKey())
                                        && live.get().type().equals(type)));
                    });
                }
            });
        }
        return definitions;
    }

    List<SocketView> sockets() {
        VfioUserServer server = vfioUser;
        List<SocketView> sockets = new ArrayList<>();
        if (server != null) {
            for (Map.Entry<Path, UUID> e : server.served().entrySet()) {
                sockets.add(new SocketView(e.getKey().toString(), e.getValue(), server.connected(e.getKey())));
            }
        }
        sockets.sort(Comparator.comparing(SocketView::path));
        return sockets;
    }

    List<BundleView> bundles() {
        List<BundleView> bundles = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            bundles.add(new BundleView(b.getBundleId(), String.valueOf(b.getSymbolicName()), b.getVersion().toString(),
                    state(b.getState())));
        }
        return bundles;
    }

    private static String state(int state) {
        return switch (state) {
            case Bundle.ACTIVE -> "active";
            case Bundle.RESOLVED -> "resolved";
            case Bundle.INSTALLED -> "installed";
            case Bundle.STARTING -> "starting";
            case Bundle.STOPPING -> "stopping";
            default -> "uninstalled";
        };
    }

    // ---- actions --------------------------------------------------------------------------

    UUID create(String parent, String type, UUID uuid) {
        return bus.create(parent, type, uuid == null ? UUID.randomUUID() : uuid).uuid();
    }

    void remove(UUID uuid) {
        bus.remove(uuid);
    }

    /** The device's attributes by name; a write-only one has no value (null). */
    Map<String, String> attributes(UUID uuid) {
        Map<String, String> values = new java.util.LinkedHashMap<>();
        for (String name : bus.attributes(uuid)) {
            try {
                values.put(name, bus.readAttribute(uuid, name).stripTrailing());
            } catch (ErrnoException e) {
                if (e.errno() != Errno.EACCES) {
                    throw e;
                }
                values.put(name, null);
            }
        }
        return values;
    }

    void writeAttribute(UUID uuid, String name, String value) {
        bus.writeAttribute(uuid, name, value.endsWith("\n") ? value : value + "\n");
    }

    /** mdevctl define; returns the UUID (generated when none is given). */
    UUID define(UUID uuid, String parent, String type, boolean auto) {
        UUID id = uuid == null ? UUID.randomUUID() : uuid;
        List<String> line = new ArrayList<>(List.of("define", "-u", id.toString(), "-p", parent, "-t", type));
        if (auto) {
            line.add("--auto");
        }
        mdevctl().execute(line);
        return id;
    }

    void undefine(UUID uuid) {
        mdevctl().execute(List.of("undefine", "-u", uuid.toString()));
    }

    /** mdevctl start of a defined device. */
    void start(UUID uuid) {
        mdevctl().execute(List.of("start", "-u", uuid.toString()));
    }

    /** mdevctl stop. */
    void stop(UUID uuid) {
        mdevctl().execute(List.of("stop", "-u", uuid.toString()));
    }

    private Mdevctl mdevctl() {
        Mdevctl m = mdevctl;
        if (m == null) {
            throw new ErrnoException(Errno.EOPNOTSUPP, "mdevctl is not running (bundle mdev.mdevctl)");
        }
        return m;
    }

    /** Starts or stops a bundle of the stack, by id or symbolic name. */
    BundleView bundle(String idOrName, boolean start) {
        Bundle bundle = findBundle(idOrName);
        if (bundle.getBundleId() == 0 || KEPT_RUNNING.contains(bundle.getSymbolicName())) {
            throw new ErrnoException(Errno.EPERM, "bundle " + bundle.getSymbolicName() + " serves this page; "
                    + "start and stop it from the shell");
        }
        try {
            if (start) {
                bundle.start();
            } else {
                bundle.stop();
            }
        } catch (BundleException e) {
            throw new ErrnoException(Errno.EIO, (start ? "start" : "stop") + " of " + bundle.getSymbolicName()
                    + " failed: " + e.getMessage());
        }
        return new BundleView(bundle.getBundleId(), bundle.getSymbolicName(), bundle.getVersion().toString(),
                state(bundle.getState()));
    }

    private Bundle findBundle(String idOrName) {
        if (idOrName.matches("\\d{1,18}")) {
            Bundle b = context.getBundle(Long.parseLong(idOrName));
            if (b != null) {
                return b;
            }
        }
        for (Bundle b : context.getBundles()) {
            if (idOrName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new ErrnoException(Errno.ENOENT, "no bundle '" + idOrName + "'");
    }

    /** The current primary plane of a display device, as a PNG. */
    byte[] displayPng(UUID uuid) {
        VfioDevice device = vfioDevice(uuid)
                .orElseThrow(() -> new ErrnoException(Errno.ENODEV, "no VFIO device " + uuid));
        if (!device.hasDisplay()) {
            throw new ErrnoException(Errno.ENOTTY, "device " + uuid + " has no display planes");
        }
        FileTable files = new FileTable();
        VfioDeviceFile file = device.open(files);
        try {
            VfioDisplay.Image image = VfioDisplay.capture(file);
            java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
            VfioDisplay.writePng(image, png);
            return png.toByteArray();
        } catch (java.io.IOException e) {
            throw new ErrnoException(Errno.EIO, "PNG of " + uuid + ": " + e.getMessage());
        } finally {
            file.close();
        }
    }

    private Optional<VfioDevice> vfioDevice(UUID uuid) {
        try {
            for (ServiceReference<VfioDevice> ref : context.getServiceReferences(VfioDevice.class,
                    "(" + MdevConstants.UUID + "=" + uuid + ")")) {
                VfioDevice device = context.getService(ref);
                if (device != null) {
                    context.ungetService(ref);
                    return Optional.of(device);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        return Optional.empty();
    }
}
