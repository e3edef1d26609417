package mdev.sysfs;

import java.nio.file.Path;
import java.util.Optional;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The live sysfs tree of the mdev bus, mounted over FUSE on the directory configured as
 * {@code mountpoint} (Configuration Admin pid {@code mdev.sysfs}, else the framework property
 * {@code mdev.sysfs.mountpoint}); unmounted when the bundle stops.
 */
@ProviderType
public interface SysfsMount {
    /** Where the tree is mounted; empty when no mount point is configured. */
    Optional<Path> mountpoint();

    /**
     * Why the configured mount point could not be mounted (its errno and the reason), if it
     * could not: the component stays up, says it once in the log, and the console ends the run
     * with that errno.
     */
    default Optional<mdev.core.ErrnoException> failure() {
        return Optional.empty();
    }
}
