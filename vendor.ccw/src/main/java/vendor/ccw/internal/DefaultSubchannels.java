package vendor.ccw.internal;

import java.io.IOException;
import java.util.Hashtable;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * When the framework property {@code vendor.ccw.default.subchannels} is true (the distribution
 * sets it), configures subchannels 0.0.0100 and 0.0.0101 if none is configured, so the
 * vfio_ccw-io type shows at once.
 */
@Component(immediate = true, service = {})
public final class DefaultSubchannels {
    static final String PROPERTY = "vendor.ccw.default.subchannels";

    @Activate
    public DefaultSubchannels(BundleContext context, @Reference ConfigurationAdmin configAdmin)
            throws IOException, InvalidSyntaxException {
        if (!Boolean.parseBoolean(context.getProperty(PROPERTY))) {
            return;
        }
        Configuration[] existing = configAdmin.listConfigurations("(service.factoryPid=vendor.ccw.subchannel)");
        if (existing != null && existing.length > 0) {
            return;
        }
        for (String schid : new String[] { "0.0.0100", "0.0.0101" }) {
            Configuration subchannel = configAdmin.getFactoryConfiguration("vendor.ccw.subchannel", schid, "?");
            subchannel.update(new Hashtable<>(Map.of("schid", schid, "mdev.default", true)));   // a host directory replaces it
        }
    }
}
