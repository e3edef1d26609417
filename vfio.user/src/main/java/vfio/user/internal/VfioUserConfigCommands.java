package vfio.user.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.UUID;

import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The shell's {@code vfio-user} scope, declarative half: {@code configure UUID PATH} serves the
 * device whenever it exists (a {@code vfio.user.socket} factory configuration, kept by
 * Configuration Admin: after its vendor restarts and mdevctl's auto-start makes it again, it is
 * served again), {@code unconfigure PATH} deletes that configuration.
 */
@Component(service = VfioUserConfigCommands.class, property = {
    "osgi.command.scope=vfio-user",
    "osgi.command.function=configure",
    "osgi.command.function=unconfigure"
})
public final class VfioUserConfigCommands {
    private final ConfigurationAdmin configurations;

    @Activate
    public VfioUserConfigCommands(@Reference ConfigurationAdmin configurations) {
        this.configurations = configurations;
    }

    /** vfio-user:configure UUID PATH */
    public String configure(String uuid, String path) throws IOException {
        UUID device = VfioUserCommands.uuid(uuid);
        String socket = Path.of(path).toAbsolutePath().normalize().toString();
        if (find(socket) != null) {
            throw new ErrnoException(Errno.EEXIST, "a socket is already configured on " + socket);
        }
        Hashtable<String, Object> properties = new Hashtable<>();
        properties.put("uuid", device.toString());
        properties.put("path", socket);
        configurations.getFactoryConfiguration(ConfiguredSocket.FACTORY_PID, socket, "?").update(properties);
        return "configured " + device + " on " + socket + " (served while the device exists)";
    }

    /** vfio-user:unconfigure PATH */
    public String unconfigure(String path) throws IOException {
        String socket = Path.of(path).toAbsolutePath().normalize().toString();
        Configuration c = find(socket);
        if (c == null) {
            throw new ErrnoException(Errno.ENOENT, "no socket is configured on " + socket);
        }
        c.delete();
        return "unconfigured " + socket;
    }

    private Configuration find(String socket) throws IOException {
        try {
            Configuration[] found = configurations.listConfigurations("(&(service.factoryPid="
                    + ConfiguredSocket.FACTORY_PID + ")(path=" + escape(socket) + "))");
            return found == null ? null : found[0];
        } catch (InvalidSyntaxException e) {
            throw new ErrnoException(Errno.EINVAL, "path " + socket + " cannot be looked up: " + e.getMessage());
        }
    }

    /** A filter value as OSGi filters escape it: a backslash before \\, *, ( and ). */
    private static String escape(String value) {
        return value.replace("\\", "\\\\").replace("*", "\\*").replace("(", "\\(").replace(")", "\\)");
    }
}
