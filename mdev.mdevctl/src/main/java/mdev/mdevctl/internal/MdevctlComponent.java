package mdev.mdevctl.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import mdev.core.ErrnoException;
import mdev.core.MdevBus;
import mdev.core.MdevBusListener;
import mdev.mdevctl.Mdevctl;
import mdev.log.Logs;

/**
 * mdevctl as a service: the verbs over the bus, the definitions under a configurable root, and
 * the auto-start of {@code auto} definitions whenever a parent registers (at activation for
 * the parents already there), which is what udev's rule does with
 * {@code mdevctl start-parent-mdevs}.
 *
 * <p>Lock order: {@code verbLock} (one verb or one auto-start at a time, so a definition is
 * never read half-way through a modify of the same process) before the bus lock. Auto-starts
 * run on a thread of their own: the bus tells listeners on the thread that registered the
 * parent, usually a vendor's activation, which must not wait for devices to be created.
 */
@Component(service = Mdevctl.class, configurationPid = MdevctlComponent.PID, immediate = true)
@Designate(ocd = MdevctlComponent.Config.class)
public final class MdevctlComponent implements Mdevctl {
    static final String PID = "mdev.mdevctl";
    /** Framework property naming the root when no configuration does. */
    static final String ROOT_PROPERTY = "mdev.mdevctl.root";
    private static final System.Logger LOG = Logs.of(MdevctlComponent.class);

    @ObjectClassDefinition(name = "mdevctl", description = "Where mdevctl keeps its definitions")
    public @interface Config {
        @AttributeDefinition(description = "System root whose etc/mdevctl.d holds the definitions; empty: the "
                + "framework property mdev.mdevctl.root, else $XDG_DATA_HOME/mdev-osgi (~/.local/share/mdev-osgi)")
        String root() default "";
    }

    private final Path root;
    private final MdevctlEngine engine;
    private final ReentrantLock verbLock = new ReentrantLock();
    /**
     * Registered by hand, not as a DS service of this component: the bus (which this component
     * needs) binds listeners, and SCR would see a cycle.
     */
    private final ServiceRegistration<MdevBusListener> listener;
    private final ExecutorService autoStarter = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "mdevctl auto-start");
        t.setDaemon(true);
        return t;
    });

    @Activate
    public MdevctlComponent(@Reference MdevBus bus, BundleContext context, Config config) {
        this.root = root(config.root(), context.getProperty(ROOT_PROPERTY));
        DefinitionStore store = new DefinitionStore(root, message -> LOG.log(Level.WARNING, message));
        try {
            Files.createDirectories(store.directory());
            // what mdevctl's own self-check wants, so the real mdevctl can share this root
            Files.createDirectories(store.directory().resolve("scripts.d").resolve("callouts"));
            Files.createDirectories(store.directory().resolve("scripts.d").resolve("notifiers"));
            store.removeLeftovers();
        } catch (IOException e) {
            // reported; verbs that write will fail with EIO naming the directory
            LOG.log(Level.ERROR, "cannot create " + store.directory() + ": " + e.getMessage());
        }
        this.engine = new MdevctlEngine(bus, store, message -> LOG.log(Level.WARNING, message));
        this.listener = context.registerService(MdevBusListener.class, this::parentRegistered, null);
        for (String parent : bus.parents()) {
            parentRegistered(parent);
        }
    }

    static Path root(String configured, String frameworkProperty) {
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        if (frameworkProperty != null && !frameworkProperty.isBlank()) {
            return Path.of(frameworkProperty).toAbsolutePath();
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path data = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".local", "share");
        return data.resolve("mdev-osgi").toAbsolutePath();
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        try {
            listener.unregister();
        } catch (IllegalStateException alreadyGone) {
            // the bundle is stopping and the framework unregistered it
        }
        autoStarter.shutdownNow();
        autoStarter.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Override
    public Path root() {
        return root;
    }

    /** Asks for the auto-start of {@code parent}'s devices, on the auto-start thread. */
    void parentRegistered(String parent) {
        try {
            autoStarter.execute(() -> {
                verbLock.lock();
                try {
                    engine.newVerb();
                    engine.startParentDevices(parent);
                } finally {
                    verbLock.unlock();
                }
            });
        } catch (RejectedExecutionException stopping) {
            // deactivated: nothing more to start
        }
    }

    /** Lets the auto-starts asked for so far finish, so a verb sees their devices. */
    private void awaitAutoStarts() {
        try {
            autoStarter.submit(() -> { }).get(30, TimeUnit.SECONDS);
        } catch (RejectedExecutionException | ExecutionException | java.util.concurrent.TimeoutException e) {
            // deactivated or stuck: the verb runs on what is there
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String execute(List<String> args) {
        MdevctlCommandLine.Verb verb;
        try {
            verb = MdevctlCommandLine.parse(args);
        } catch (MdevctlCommandLine.UsageError e) {
            throw new IllegalArgumentException(e.getMessage());
        }
        awaitAutoStarts();
        verbLock.lock();
        try {
            engine.newVerb();
            return verb.run(engine);
        } catch (MdevctlCommandLine.UsageError e) {
            throw new IllegalArgumentException(e.getMessage());
        } finally {
            verbLock.unlock();
        }
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        String output;
        try {
            output = execute(args);
        } catch (IllegalArgumentException e) {
            err.println(MdevctlCommandLine.usageText(new MdevctlCommandLine.UsageError(e.getMessage())));
            return 2;
        } catch (ErrnoException e) {
            err.println(Reports.mdevctlForm(e));
            return 1;
        }
        if (output != null) {
            out.println(output);
        }
        return 0;
    }
}
