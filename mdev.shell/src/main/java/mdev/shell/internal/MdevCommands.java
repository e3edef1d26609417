package mdev.shell.internal;

import java.util.UUID;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import mdev.core.MdevBus;
import mdev.core.MdevClassId;
import mdev.core.MdevType;

/** {@code mdev:*}: the bus, as the kernel's sysfs and mdevctl show it; the commands return {@link Rows}. */
@Component(service = MdevCommands.class, property = {
        "osgi.command.scope=mdev",
        "osgi.command.function=types",
        "osgi.command.function=list",
        "osgi.command.function=create",
        "osgi.command.function=remove",
        "osgi.command.function=attr",
        "osgi.command.function=fails" })
public final class MdevCommands {
    private final MdevBus bus;

    @Activate
    public MdevCommands(@Reference MdevBus bus) {
        this.bus = bus;
    }

    @Descriptor("list the supported types of every parent")
    public Rows.TypeListing types() {
        return listing(null);
    }

    @Descriptor("list the supported types of one parent")
    public Rows.TypeListing types(@Descriptor("parent device") String parent) {
        return listing(parent);
    }

    /** mdevctl types' order: parents and their types sorted. */
    private Rows.TypeListing listing(String parent) {
        java.util.List<MdevType> types = new java.util.ArrayList<>(parent == null ? bus.types() : bus.types(parent));
        types.sort(java.util.Comparator.comparing(MdevType::parent).thenComparing(MdevType::id));
        // ArrayLists: Gogo calls methods on results reflectively, which the JDK's immutable lists refuse
        return new Rows.TypeListing(new java.util.ArrayList<>(types.stream().map(t -> new Rows.TypeRow(t.parent(), t.id(),
                t.availableInstances(), t.deviceApi(), t.name(), t.description())).toList()));
    }

    @Descriptor("list the mediated devices: uuid parent type (class, binding, opens)")
    public java.util.List<Rows.DeviceRow> list() {
        return new java.util.ArrayList<>(bus.devices().stream().map(d -> new Rows.DeviceRow(d.uuid(), d.parent(), d.type(),
                MdevClassId.name(d.classId()), bus.isBound(d.uuid()), d.openCount())).toList());
    }

    @Descriptor("create a device with a new random UUID; returns the UUID")
    public UUID create(@Descriptor("parent device") String parent, @Descriptor("type id, e.g. mtty-2") String type) {
        return bus.create(parent, type, UUID.randomUUID()).uuid();
    }

    @Descriptor("create a device with the given UUID; returns the UUID")
    public UUID create(@Descriptor("parent device") String parent, @Descriptor("type id, e.g. mtty-2") String type,
            @Descriptor("device UUID") String uuid) {
        return bus.create(parent, type, Args.uuid(uuid)).uuid();
    }

    @Descriptor("remove a device")
    public void remove(@Descriptor("device UUID") String uuid) {
        bus.remove(Args.uuid(uuid));
    }

    @Descriptor("show every attribute of a device (write-only ones are named only)")
    public java.util.List<Rows.AttributeRow> attr(@Descriptor("device UUID") String uuid) {
        UUID id = Args.uuid(uuid);
        java.util.List<Rows.AttributeRow> rows = new java.util.ArrayList<>();
        for (String name : bus.attributes(id)) {
            String value;
            try {
                value = bus.readAttribute(id, name).stripTrailing();
            } catch (mdev.core.ErrnoException e) {
                if (e.errno() != mdev.core.Errno.EACCES) {
                    throw e;
                }
                value = null;
            }
            rows.add(new Rows.AttributeRow(name, value));
        }
        return rows;
    }

    @Descriptor("read one attribute of a device, as cat of its sysfs file")
    public String attr(@Descriptor("device UUID") String uuid, @Descriptor("attribute name") String name) {
        String value = bus.readAttribute(Args.uuid(uuid), name);
        return value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;   // the console adds it
    }

    @Descriptor("write an attribute of a device, as echo VALUE > its sysfs file (a newline is added)")
    public void attr(@Descriptor("device UUID") String uuid, @Descriptor("attribute name") String name,
            @Descriptor("value") String value) {
        bus.writeAttribute(Args.uuid(uuid), name, value + "\n");
    }

    /**
     * Runs a command that must fail with {@code errno} (scripts stop at the first failure, so
     * this is how a script shows one); prints the error. EINVAL when it succeeds or fails
     * otherwise.
     */
    @Descriptor("run a command that must fail with the given errno, e.g. mdev:fails EBUSY { mdev:remove <uuid> }")
    public String fails(org.apache.felix.service.command.CommandSession session,
            @Descriptor("the errno expected, e.g. EBUSY") String errno,
            @Descriptor("the command, in braces") org.apache.felix.service.command.Function command) {
        mdev.core.Errno expected;
        try {
            expected = mdev.core.Errno.valueOf(errno);
        } catch (IllegalArgumentException e) {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "'" + errno + "' is not an errno name");
        }
        try {
            command.execute(session, java.util.List.of());
        } catch (Exception e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof mdev.core.ErrnoException failure) {
                    if (failure.errno() != expected) {
                        throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "expected " + expected
                                + ", the command failed with " + failure);
                    }
                    return failure.toString();
                }
            }
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "expected " + expected
                    + ", the command failed with " + e);
        }
        throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "expected " + expected + ", the command succeeded");
    }
}
