package mdev.config.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import mdev.log.Logs;

/**
 * Which bundles of the host run ({@code mdev.host}): the vendor and sample bundles named in
 * {@code stopped} are stopped (their parents and devices go); a bundle taken off the list, or
 * the configuration deleted, is started again.
 */
@Component(configurationPid = HostBundles.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = HostBundles.Config.class)
public final class HostBundles {
    static final String PID = "mdev.host";

    @ObjectClassDefinition(name = "mdev host", description = "Which bundles of the host are stopped")
    public @interface Config {
        @AttributeDefinition(description = "Symbolic names of bundles to keep stopped, e.g. vendor.ccw")
        String[] stopped() default {};
    }

    private final BundleContext context;
    /** What this component stopped, to start again. */
    private final Set<String> stoppedByUs = new LinkedHashSet<>();

    @Activate
    public HostBundles(BundleContext context, Config config) {
        this.context = context;
        apply(config);
    }

    @Modified
    synchronized void apply(Config config) {
        Set<String> wanted = new LinkedHashSet<>(List.of(config.stopped()));
        for (String bsn : List.copyOf(stoppedByUs)) {
            if (!wanted.contains(bsn)) {
                start(bsn);
            }
        }
        for (String bsn : wanted) {
            Bundle b = bundle(bsn);
            if (b != null && b.getState() == Bundle.ACTIVE && b.getBundleId() != context.getBundle().getBundleId()) {
                try {
                    b.stop(Bundle.STOP_TRANSIENT);
                    stoppedByUs.add(bsn);
                } catch (BundleException e) {
                    Logs.of(HostBundles.class).log(System.Logger.Level.WARNING,
                            "cannot stop " + bsn + ": " + e.getMessage());
                }
            }
        }
    }

    @Deactivate
    synchronized void deactivate() {
        for (String bsn : List.copyOf(stoppedByUs)) {
            start(bsn);
        }
    }

    private void start(String bsn) {
        Bundle b = bundle(bsn);
        stoppedByUs.remove(bsn);
        if (b != null) {
            try {
                b.start(Bundle.START_TRANSIENT);
            } catch (BundleException | IllegalStateException e) {
                Logs.of(HostBundles.class).log(System.Logger.Level.WARNING,
                        "cannot start " + bsn + ": " + e.getMessage());
            }
        }
    }

    private Bundle bundle(String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        return null;
    }
}
