package mdev.config.internal;

import java.io.IOException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import mdev.config.HostConfiguration;
import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.log.Logs;

/**
 * The configuration directory: files read and applied (only what changed is updated), and a
 * thread that looks at the files every {@value #POLL_MS} ms (modification times and names) and
 * applies them again when they changed. Configurations made from a file carry
 * {@value #SOURCE} with the file's name, so that what a file no longer holds is deleted and
 * nothing else is. {@code this} guards the state; Configuration Admin is called under it, and
 * does not call back into this component.
 */
@Component(service = HostConfiguration.class, immediate = true)
public final class HostConfigurationComponent implements HostConfiguration {
    static final String SOURCE = "mdev.config.file";
    static final long POLL_MS = 500;
    private static final Logger LOG = Logs.of(HostConfigurationComponent.class);

    private final ConfigurationAdmin configAdmin;
    private Path directory;
    /** What the files said at the last apply: file name to PID to properties. */
    private final Map<String, Map<String, Hashtable<String, Object>>> applied = new TreeMap<>();
    /** Names and modification times of the files at the last look. */
    private String lastSeen = "";
    /** What was reported about each unreadable file (said once per state). */
    private final Map<String, String> reported = new HashMap<>();
    private Thread watcher;
    private volatile boolean closed;

    @Activate
    public HostConfigurationComponent(@Reference ConfigurationAdmin configAdmin) {
        this.configAdmin = configAdmin;
    }

    @Override
    public synchronized void load(Path dir) {
        if (directory != null) {
            if (directory.equals(dir.toAbsolutePath())) {
                return;
            }
            throw new ErrnoException(Errno.EBUSY, "the configuration directory " + directory + " is loaded already");
        }
        if (!Files.isDirectory(dir)) {
            throw new ErrnoException(Errno.ENOENT, "configuration directory '" + dir + "' does not exist");
        }
        directory = dir.toAbsolutePath();
        deleteDefaults();
        applyIfChanged();
        watcher = new Thread(this::watch, "mdev.config watcher of " + directory);
        watcher.setDaemon(true);
        watcher.start();
    }

    @Override
    public synchronized Optional<Path> directory() {
        return Optional.ofNullable(directory);
    }

    @Override
    public synchronized List<String> pids() {
        List<String> pids = new ArrayList<>();
        applied.values().forEach(m -> pids.addAll(m.keySet()));
        pids.sort(null);
        return pids;
    }

    private void watch() {
        while (!closed) {
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                if (!closed) {
                    applyIfChanged();
                }
            }
        }
    }

    @Deactivate
    void deactivate() {
        closed = true;
        Thread t;
        synchronized (this) {
            t = watcher;
        }
        if (t != null) {
            t.interrupt();
        }
    }

    /** The distribution's defaults (a GPU, subchannels) make way for the directory's. */
    private void deleteDefaults() {
        try {
            Configuration[] defaults = configAdmin.listConfigurations("(" + DEFAULT_PROPERTY + "=true)");
            for (Configuration c : defaults == null ? new Configuration[0] : defaults) {
                c.delete();
            }
        } catch (IOException | InvalidSyntaxException e) {
            LOG.log(Level.WARNING, "cannot remove the default configurations: " + e.getMessage());
        }
    }

    /** Applies the files if their names or modification times changed since the last look. */
    private void applyIfChanged() {
        List<Path> files;
        StringBuilder seen = new StringBuilder();
        try {
            files = ConfigFiles.list(directory);
            for (Path f : files) {
                seen.append(f.getFileName()).append('@').append(Files.getLastModifiedTime(f).toMillis())
                        .append('+').append(Files.size(f)).append(';');
            }
        } catch (IOException e) {
            report("directory", "cannot read the configuration directory " + directory + ": " + e.getMessage());
            return;
        }
        if (seen.toString().equals(lastSeen)) {
            return;
        }
        lastSeen = seen.toString();
        Map<String, Map<String, Hashtable<String, Object>>> wanted = new TreeMap<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            try {
                wanted.put(name, ConfigFiles.read(f));
                reported.remove(name);
            } catch (ErrnoException | IOException e) {
                // a file that does not parse keeps what it configured
                report(name, "configuration file " + f + " skipped: " + e.getMessage());
                if (applied.containsKey(name)) {
                    wanted.put(name, applied.get(name));
                }
            }
        }
        apply(wanted);
    }

    private void apply(Map<String, Map<String, Hashtable<String, Object>>> wanted) {
        Map<String, String> owner = new HashMap<>();
        wanted.forEach((file, pids) -> pids.keySet().forEach(pid -> owner.putIfAbsent(pid, file)));
        for (Map.Entry<String, Map<String, Hashtable<String, Object>>> file : wanted.entrySet()) {
            for (Map.Entry<String, Hashtable<String, Object>> c : file.getValue().entrySet()) {
                if (!owner.get(c.getKey()).equals(file.getKey())) {
                    report(c.getKey(), "PID " + c.getKey() + " of " + file.getKey() + " is ignored: "
                            + owner.get(c.getKey()) + " configures it");
                    continue;
                }
                Map<String, Hashtable<String, Object>> before = applied.get(file.getKey());
                Hashtable<String, Object> old = before == null ? null : before.get(c.getKey());
                if (old == null || !same(old, c.getValue())) {
                    update(c.getKey(), file.getKey(), c.getValue());
                }
            }
        }
        for (Map.Entry<String, Map<String, Hashtable<String, Object>>> file : applied.entrySet()) {
            for (String pid : file.getValue().keySet()) {
                if (!owner.containsKey(pid)) {
                    delete(pid);
                }
            }
        }
        applied.clear();
        applied.putAll(wanted);
    }

    private static boolean same(Hashtable<String, Object> a, Hashtable<String, Object> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (String key : a.keySet()) {
            if (!Arrays.deepEquals(new Object[] { a.get(key) }, new Object[] { b.get(key) })) {
                return false;
            }
        }
        return true;
    }

    private Configuration configuration(String pid) throws IOException {
        int tilde = pid.indexOf('~');
        return tilde < 0 ? configAdmin.getConfiguration(pid, "?")
                : configAdmin.getFactoryConfiguration(pid.substring(0, tilde), pid.substring(tilde + 1), "?");
    }

    private void update(String pid, String file, Hashtable<String, Object> properties) {
        Dictionary<String, Object> props = new Hashtable<>(properties);
        props.put(SOURCE, file);
        try {
            configuration(pid).update(props);
            LOG.log(Level.DEBUG, "configured " + pid + " from " + file);
        } catch (IOException | RuntimeException e) {
            report(pid, "cannot configure " + pid + " from " + file + ": " + e.getMessage());
        }
    }

    private void delete(String pid) {
        try {
            Configuration c = configuration(pid);
            Dictionary<String, Object> props = c.getProperties();
            if (props != null && props.get(SOURCE) != null) {
                c.delete();
                LOG.log(Level.DEBUG, "deleted " + pid + ": no file configures it any more");
            }
        } catch (IOException | RuntimeException e) {
            report(pid, "cannot delete " + pid + ": " + e.getMessage());
        }
    }

    /** Says a problem once for each thing, until it changes. */
    private void report(String what, String message) {
        if (!message.equals(reported.put(what, message))) {
            LOG.log(Level.WARNING, message);
        }
    }

    /** For tests: the properties of a configuration without Configuration Admin's own. */
    static Map<String, Object> userProperties(Dictionary<String, Object> props) {
        Map<String, Object> m = new TreeMap<>();
        for (Enumeration<String> keys = props.keys(); keys.hasMoreElements();) {
            String k = keys.nextElement();
            if (!k.startsWith("service.")) {
                m.put(k, props.get(k));
            }
        }
        return m;
    }
}
