package vfio.user.internal;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.UUID;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.util.tracker.ServiceTracker;

import mdev.core.ErrnoException;
import mdev.core.MdevConstants;
import vfio.core.VfioDevice;
import vfio.user.VfioUserServer;
import mdev.log.Logs;

/**
 * A device served declaratively: one factory configuration {@code vfio.user.socket} per
 * socket ({@code uuid}, {@code path}). The socket is there while the device's VFIO service is:
 * served when the device appears (created by hand, by mdevctl's auto-start, after its vendor
 * restarts), stopped when it goes or the configuration is deleted.
 */
@Component(configurationPid = ConfiguredSocket.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = {})
@Designate(ocd = ConfiguredSocket.Config.class, factory = true)
public final class ConfiguredSocket {
    static final String FACTORY_PID = "vfio.user.socket";
    private static final System.Logger LOG = Logs.of(ConfiguredSocket.class);

    @ObjectClassDefinition(name = "vfio-user socket", description = "Serves one VFIO mdev over vfio-user")
    public @interface Config {
        @AttributeDefinition(description = "UUID of the mdev to serve")
        String uuid();

        @AttributeDefinition(description = "Path of the UNIX socket file to create (mode 0600)")
        String path();
    }

    private final ServiceTracker<VfioDevice, Path> tracker;

    @Activate
    public ConfiguredSocket(@Reference VfioUserServer server, BundleContext context, Config config)
            throws InvalidSyntaxException {
        UUID uuid = UUID.fromString(config.uuid());
        Path path = Path.of(config.path()).toAbsolutePath().normalize();
        Filter filter = FrameworkUtil.createFilter("(&(objectClass=" + VfioDevice.class.getName() + ")("
                + MdevConstants.UUID + "=" + uuid + "))");
        tracker = new ServiceTracker<>(context, filter, null) {
            @Override
            public Path addingService(ServiceReference<VfioDevice> reference) {
                try {
                    server.serve(uuid, path);
                    return path;
                } catch (ErrnoException e) {
                    LOG.log(Level.WARNING, "cannot serve " + uuid + " on " + path + ": " + e);
                    return null;
                }
            }

            @Override
            public void removedService(ServiceReference<VfioDevice> reference, Path served) {
                if (server.served().containsKey(served)) {
                    server.stop(served);
                }
            }
        };
        tracker.open();
    }

    @Deactivate
    void deactivate() {
        tracker.close();
    }
}
