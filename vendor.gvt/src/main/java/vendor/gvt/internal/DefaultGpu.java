package vendor.gvt.internal;

import java.io.IOException;
import java.util.Hashtable;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * When the framework property {@code vendor.gvt.default.gpu} is true (the distribution sets
 * it), configures one GPU with the defaults if none is configured, so types show at once.
 */
@Component(immediate = true, service = {})
public final class DefaultGpu {
    static final String PROPERTY = "vendor.gvt.default.gpu";

    @Activate
    public DefaultGpu(BundleContext context, @Reference ConfigurationAdmin configAdmin)
            throws IOException, InvalidSyntaxException {
        if (!Boolean.parseBoolean(context.getProperty(PROPERTY))) {
            return;
        }
        Configuration[] existing = configAdmin.listConfigurations("(service.factoryPid=vendor.gvt.gpu)");
        if (existing == null || existing.length == 0) {
            Configuration gpu = configAdmin.getFactoryConfiguration("vendor.gvt.gpu", "default", "?");
            // marked a default: a host configuration directory replaces it (mdev.config)
            gpu.update(new Hashtable<>(java.util.Map.of("parent", "0000:00:02.0", "mdev.default", true)));
        }
    }
}
