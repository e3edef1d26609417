package mdev.sysfs.internal;

import java.nio.file.Path;
import java.util.Optional;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import mdev.core.MdevBus;
import mdev.sysfs.SysfsMount;
import mdev.log.Logs;

/**
 * Mounts the bus's sysfs tree where configured, and unmounts it when deactivated (bundle
 * stopped, configuration changed, bus gone). A mount that fails is logged (debug) once,
 * and kept as the service's {@link SysfsMount#failure}, which the console turns into the run's
 * exit status; a new configuration tries again.
 */
@Component(service = SysfsMount.class, configurationPid = SysfsComponent.PID, immediate = true)
@Designate(ocd = SysfsComponent.Config.class)
public final class SysfsComponent implements SysfsMount {
    static final String PID = "mdev.sysfs";
    static final String MOUNTPOINT_PROPERTY = "mdev.sysfs.mountpoint";

    @ObjectClassDefinition(name = "mdev sysfs over FUSE")
    public @interface Config {
        @AttributeDefinition(description = "Directory to mount the tree on (created if missing); empty: the "
                + "framework property mdev.sysfs.mountpoint, else nothing is mounted")
        String mountpoint() default "";
    }

    private final SysfsMounter mounter;
    private final mdev.core.ErrnoException failure;

    @Activate
    public SysfsComponent(@Reference MdevBus bus, BundleContext context, Config config) {
        String where = !config.mountpoint().isBlank() ? config.mountpoint() : context.getProperty(MOUNTPOINT_PROPERTY);
        SysfsMounter mounted = null;
        mdev.core.ErrnoException failed = null;
        if (where != null && !where.isBlank()) {
            try {
                mounted = SysfsMounter.mount(bus, Path.of(where));
            } catch (mdev.core.ErrnoException e) {
                failed = e;
                Logs.of(SysfsComponent.class).log(System.Logger.Level.DEBUG,
                        "cannot mount the sysfs tree on " + where + ": " + e);
            }
        }
        this.mounter = mounted;
        this.failure = failed;
    }

    @Override
    public Optional<mdev.core.ErrnoException> failure() {
        return Optional.ofNullable(failure);
    }

    @Deactivate
    void deactivate() {
        if (mounter != null) {
            mounter.close();
        }
    }

    @Override
    public Optional<Path> mountpoint() {
        return Optional.ofNullable(mounter).map(SysfsMounter::mountpoint);
    }
}
