package vfio.user.internal;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VfioService;
import vfio.user.VfioUserServer;

/**
 * The vfio-user server: sockets by path. Stopping the bundle (or losing VFIO) stops every
 * socket and drops every client, releasing what each held.
 */
@Component(service = VfioUserServer.class)
public final class VfioUserServerComponent implements VfioUserServer {
    private final VfioService vfio;
    /** Served sockets by path; guarded by this. */
    private final Map<Path, ServedSocket> sockets = new LinkedHashMap<>();

    @Activate
    public VfioUserServerComponent(@Reference VfioService vfio) {
        this.vfio = vfio;
    }

    @Override
    public void serve(UUID uuid, Path socket) {
        Path path = socket.toAbsolutePath().normalize();
        synchronized (this) {
            if (sockets.containsKey(path)) {
                throw new ErrnoException(Errno.EEXIST, path + " already serves " + sockets.get(path).uuid());
            }
            // the device must be a VFIO device now (a client opens it later)
            vfio.groupOf(uuid.toString());
            sockets.put(path, new ServedSocket(path, uuid, vfio));
        }
    }

    @Override
    public void stop(Path socket) {
        ServedSocket s;
        synchronized (this) {
            s = sockets.remove(socket.toAbsolutePath().normalize());
        }
        if (s == null) {
            throw new ErrnoException(Errno.ENOENT, "nothing is served on " + socket);
        }
        s.stop();
    }

    @Override
    public synchronized Map<Path, UUID> served() {
        Map<Path, UUID> map = new LinkedHashMap<>();
        sockets.forEach((p, s) -> map.put(p, s.uuid()));
        return map;
    }

    @Override
    public synchronized boolean connected(Path socket) {
        ServedSocket s = sockets.get(socket.toAbsolutePath().normalize());
        return s != null && s.connected();
    }

    @Deactivate
    void deactivate() {
        List<ServedSocket> all;
        synchronized (this) {
            all = List.copyOf(sockets.values());
            sockets.clear();
        }
        all.forEach(ServedSocket::stop);
    }
}
