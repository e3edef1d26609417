package mdev.testkit.osgi;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.ServiceRegistration;
import org.osgi.util.tracker.ServiceTracker;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevBus;
import mdev.core.MdevBusListener;
import mdev.core.MdevDevice;
import vfio.core.VfioService;

/**
 * The mdev host of a running framework, as a test of a device bundle uses it. What it creates
 * (devices, VMMs, loads) it removes on {@link #close}, in reverse order. Waits are for events
 * (services appearing, parents registering), bounded by {@link #TIMEOUT}; a wait that ends
 * without them fails naming what was awaited.
 */
public final class MdevHost implements AutoCloseable {
    /** How long a wait for a service, a parent or a bundle state lasts before it fails. */
    public static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final BundleContext context;
    private final List<AutoCloseable> owned = new ArrayList<>();

    private MdevHost(BundleContext context) {
        this.context = context;
    }

    /** The host of the framework {@code context} belongs to (a test bundle's context). */
    public static MdevHost of(BundleContext context) {
        return new MdevHost(context);
    }

    public BundleContext context() {
        return context;
    }

    /** A service, waited for; fails naming the type when none comes within {@link #TIMEOUT}. */
    public <S> S service(Class<S> type) {
        ServiceTracker<S, S> tracker = new ServiceTracker<>(context, type, null);
        tracker.open();
        try {
            S service = tracker.waitForService(TIMEOUT.toMillis());
            if (service == null) {
                throw new AssertionError("no " + type.getName() + " service within " + TIMEOUT.toSeconds() + " s");
            }
            return service;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for " + type.getName());
        } finally {
            tracker.close();
        }
    }

    public MdevBus bus() {
        return service(MdevBus.class);
    }

    public VfioService vfio() {
        return service(VfioService.class);
    }

    /** Waits until {@code parent} is registered on the bus (told by the bus, not polled). */
    public void awaitParent(String parent) {
        MdevBus bus = bus();
        CountDownLatch registered = new CountDownLatch(1);
        ServiceRegistration<MdevBusListener> listener = context.registerService(MdevBusListener.class, p -> {
            if (p.equals(parent)) {
                registered.countDown();
            }
        }, null);
        try {
            if (!bus.parents().contains(parent) && !registered.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    && !bus.parents().contains(parent)) {
                throw new AssertionError("parent '" + parent + "' did not register within " + TIMEOUT.toSeconds()
                        + " s; the bus has " + bus.parents());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted waiting for parent " + parent);
        } finally {
            listener.unregister();
        }
    }

    /** Creates a device of {@code type} on {@code parent} (once the parent is there); removed on close. */
    public MdevDevice create(String parent, String type) {
        return create(parent, type, UUID.randomUUID());
    }

    public MdevDevice create(String parent, String type, UUID uuid) {
        awaitParent(parent);
        MdevBus bus = bus();
        MdevDevice device = bus.create(parent, type, uuid);
        owned.add(() -> {
            if (bus.device(uuid).isPresent()) {
                bus.remove(uuid);
            }
        });
        return device;
    }

    /** A VMM with {@code ramBytes} of guest RAM and a type1 container of its own; closed on close. */
    public Vmm vmm(String name, long ramBytes) {
        Vmm vmm = new Vmm(this, name, ramBytes);
        owned.add(vmm);
        return vmm;
    }

    /** A VMM whose container takes {@code iommuType} (VFIO_TYPE1_NESTING_IOMMU for guest PASID binds). */
    public Vmm vmm(String name, long ramBytes, int iommuType) {
        Vmm vmm = new Vmm(this, name, ramBytes, iommuType);
        owned.add(vmm);
        return vmm;
    }

    /** Threads that run {@code io} on {@code devices} until closed (see {@link Load}); stopped on close. */
    public Load load(int threads, Load.Io io) {
        Load load = new Load(threads, io);
        owned.add(load);
        return load;
    }

    /** The installed bundle named {@code symbolicName}. */
    public Bundle bundle(String symbolicName) {
        for (Bundle b : context.getBundles()) {
            if (symbolicName.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + symbolicName + " is installed");
    }

    /** Stops a bundle (what it registered goes with it). */
    public void stop(String symbolicName) {
        try {
            bundle(symbolicName).stop();
        } catch (BundleException e) {
            throw new AssertionError("stop of " + symbolicName + " failed", e);
        }
    }

    /** Starts a bundle again (a vendor's parents register again; wait for them with {@link #awaitParent}). */
    public void start(String symbolicName) {
        try {
            bundle(symbolicName).start();
        } catch (BundleException e) {
            throw new AssertionError("start of " + symbolicName + " failed", e);
        }
    }

    /** What the host holds now, to compare with {@link Leaks#assertNoneSince} after a test. */
    public Leaks.Snapshot snapshot() {
        return Leaks.snapshot(bus());
    }

    /** Fails with {@code errno} expected: the call must fail with exactly that errno. */
    public static ErrnoException fails(Errno errno, Runnable call) {
        try {
            call.run();
        } catch (ErrnoException e) {
            if (e.errno() != errno) {
                throw new AssertionError("expected " + errno + ", got " + e, e);
            }
            return e;
        }
        throw new AssertionError("expected " + errno + ", the call succeeded");
    }

    /** Removes what this host made (loads stopped, VMMs closed, devices removed), newest first. */
    @Override
    public void close() {
        AssertionError failure = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception | AssertionError e) {
                if (failure == null) {
                    failure = new AssertionError("cleaning up after the test failed", e);
                }
            }
        }
        owned.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
