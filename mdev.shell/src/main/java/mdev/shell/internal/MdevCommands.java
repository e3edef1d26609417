package mdev.shell.internal;

import java.io.PrintStream;
import java.util.UUID;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import mdev.core.MdevBus;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevType;

/** {@code mdev:*}: the bus, as the kernel's sysfs and mdevctl show it. */
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
    public void types() {
        print(System.out, null);
    }

    @Descriptor("list the supported types of one parent")
    public void types(@Descriptor("parent device") String parent) {
        print(System.out, parent);
    }

    /** mdevctl types' layout: parents and their types sorted, a description's lines joined by ", ". */
    private void print(PrintStream out, String parent) {
        String current = null;
        java.util.List<MdevType> types = new java.util.ArrayList<>(parent == null ? bus.types() : bus.types(parent));
        types.sort(java.util.Comparator.comparing(MdevType::parent).thenComparing(MdevType::id));
        for (MdevType t : types) {
            if (!t.parent().equals(current)) {
                current = t.parent();
                out.println(current);
            }
            out.println("  " + t.id());
            out.println("    Available instances: " + t.availableInstances());
            out.println("    Device API: " + t.deviceApi());
            out.println("    Name: " + t.name());
            if (!t.description().isEmpty()) {
                out.println("    Description: " + String.join(", ", t.description().strip().split("\\s*\\n\\s*")));
            }
        }
    }

    @Descriptor("list the mediated devices: uuid parent type (class, binding, opens)")
    public void list() {
        for (MdevDevice d : bus.devices()) {
            System.out.println(d.uuid() + " " + d.parent() + " " + d.type() + " ("
                    + MdevClassId.name(d.classId()) + ", " + (bus.isBound(d.uuid()) ? "bound" : "unbound")
                    + ", open " + d.openCount() + ")");
        }
    }

    @Descriptor("create a device with a new random UUID; prints the UUID")
    public void create(@Descriptor("parent device") String parent, @Descriptor("type id, e.g. mtty-2") String type) {
        System.out.println(bus.create(parent, type, UUID.randomUUID()).uuid());
    }

    @Descriptor("create a device with the given UUID; prints the UUID")
    public void create(@Descriptor("parent device") String parent, @Descriptor("type id, e.g. mtty-2") String type,
            @Descriptor("device UUID") String uuid) {
        System.out.println(bus.create(parent, type, Args.uuid(uuid)).uuid());
    }

    @Descriptor("remove a device")
    public void remove(@Descriptor("device UUID") String uuid) {
        bus.remove(Args.uuid(uuid));
    }

    @Descriptor("show every attribute of a device (write-only ones are named only)")
    public void attr(@Descriptor("device UUID") String uuid) {
        UUID id = Args.uuid(uuid);
        for (String name : bus.attributes(id)) {
            String value;
            try {
                value = bus.readAttribute(id, name).stripTrailing();
            } catch (mdev.core.ErrnoException e) {
                if (e.errno() != mdev.core.Errno.EACCES) {
                    throw e;
                }
                value = "(write-only)";
            }
            System.out.println(name + ": " + value.replace("\n", "\n  "));
        }
    }

    @Descriptor("read one attribute of a device, as cat of its sysfs file")
    public void attr(@Descriptor("device UUID") String uuid, @Descriptor("attribute name") String name) {
        System.out.print(bus.readAttribute(Args.uuid(uuid), name));
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
