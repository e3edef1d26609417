package mdev.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The configuration directory of this host: every {@code *.json} file in it, in the OSGi
 * Configurator format (an object whose keys are PIDs, {@code factoryPid~name} for factory
 * configurations, and whose values are the properties; keys starting with {@code :} are
 * directives, ignored), becomes configurations in Configuration Admin. The directory is watched:
 * a file changed, added or removed changes, adds or deletes its configurations. A file that does
 * not parse is reported once and leaves its configurations as they were.
 */
@ProviderType
public interface HostConfiguration {
    /** Framework configurations the distribution makes when no directory is given carry this property, true. */
    String DEFAULT_PROPERTY = "mdev.default";

    /**
     * Loads {@code directory}: the defaults the distribution configured go, the files' configurations
     * are applied, and the directory is watched from then on. Returns once they are applied.
     * ENOENT if it is not a directory; EBUSY if another directory is loaded.
     */
    void load(Path directory);

    /** The directory loaded, if any. */
    Optional<Path> directory();

    /** The PIDs the directory's files hold now, sorted. */
    List<String> pids();
}
