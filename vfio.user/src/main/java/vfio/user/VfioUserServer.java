package vfio.user;

import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Serves VFIO mdevs over vfio-user: one UNIX socket per device (mode 0600), one client at a
 * time on it. Each client gets the device through vfio.mdev, in a type1 container of its own.
 */
@ProviderType
public interface VfioUserServer {
    /**
     * Serves the device {@code uuid} on a new socket file {@code socket}. EEXIST when the file
     * exists or the path is served already; ENODEV when there is no such VFIO device.
     */
    void serve(UUID uuid, Path socket);

    /** Stops serving {@code socket}: its client is dropped (and released) and the file removed; ENOENT if not served. */
    void stop(Path socket);

    /** Served sockets and their devices. */
    Map<Path, UUID> served();

    /** Whether a client is connected to {@code socket}. */
    boolean connected(Path socket);
}
