package vfio.user.internal;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.user.VfioUserServer;

/**
 * The shell's {@code vfio-user} scope: serve, unserve, list. No function takes a name the
 * framework's own commands have ({@code stop}, {@code start}, ...): Gogo resolves an unscoped
 * name to any scope that has it.
 */
@Component(service = VfioUserCommands.class, property = {
    "osgi.command.scope=vfio-user",
    "osgi.command.function=serve",
    "osgi.command.function=unserve",
    "osgi.command.function=list"
})
public final class VfioUserCommands {
    private final VfioUserServer server;

    @Activate
    public VfioUserCommands(@Reference VfioUserServer server) {
        this.server = server;
    }

    /** vfio-user:serve UUID PATH */
    public String serve(String uuid, String path) {
        server.serve(uuid(uuid), Path.of(path));
        return "serving " + uuid + " on " + Path.of(path).toAbsolutePath().normalize();
    }

    static UUID uuid(String text) {
        if (!text.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")) {
            throw new ErrnoException(Errno.EINVAL, "'" + text + "' is not a UUID");
        }
        return UUID.fromString(text);
    }

    /** vfio-user:unserve PATH */
    public String unserve(String path) {
        server.stop(Path.of(path));
        return "unserved " + Path.of(path).toAbsolutePath().normalize();
    }

    /** vfio-user:list: PATH UUID (connected|waiting) per socket. */
    public String list() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<Path, UUID> e : server.served().entrySet()) {
            out.append(e.getKey()).append(' ').append(e.getValue()).append(' ')
                    .append(server.connected(e.getKey()) ? "connected" : "waiting").append('\n');
        }
        return out.toString().stripTrailing();
    }
}
