package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

import mdev.core.MdevBus;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import vfio.core.VfioDevice;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioContainer;
import vfio.core.VfioGroup;
import vfio.core.VfioService;

/** Helpers shared by the integration tests. */
final class Fixture {
    static final long TIMEOUT_MS = 30_000;

    private Fixture() {
    }

    static Bundle bundle(BundleContext context, String bsn) {
        for (Bundle b : context.getBundles()) {
            if (bsn.equals(b.getSymbolicName())) {
                return b;
            }
        }
        throw new AssertionError("no bundle " + bsn);
    }

    static void await(String what, BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + TIMEOUT_MS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    static <S> Collection<ServiceReference<S>> refs(BundleContext context, Class<S> type, UUID uuid) {
        try {
            return context.getServiceReferences(type, "(" + MdevConstants.UUID + "=" + uuid + ")");
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
    }

    /** The VFIO device service of {@code uuid}, or null. */
    static VfioDevice vfioDeviceOrNull(BundleContext context, UUID uuid) {
        for (ServiceReference<VfioDevice> ref : refs(context, VfioDevice.class, uuid)) {
            VfioDevice device = context.getService(ref);
            if (device != null) {
                context.ungetService(ref);
                return device;
            }
        }
        return null;
    }

    static VfioDevice vfioDevice(BundleContext context, UUID uuid) {
        await("VFIO device " + uuid, () -> vfioDeviceOrNull(context, uuid) != null);
        return vfioDeviceOrNull(context, uuid);
    }

    static boolean hasMdevService(BundleContext context, UUID uuid) {
        return !refs(context, MdevDevice.class, uuid).isEmpty();
    }

    static void awaitParent(MdevBus bus, String parent) {
        await("parent " + parent, () -> bus.parents().contains(parent));
    }

    static void start(Bundle bundle) {
        try {
            bundle.start();
        } catch (BundleException e) {
            throw new AssertionError(e);
        }
    }

    static void stop(Bundle bundle) {
        try {
            bundle.stop();
        } catch (BundleException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The service of {@code type} as it is now, waiting while none is registered (a component
     * being reactivated for a new configuration is briefly without one).
     */
    static <S> S service(BundleContext context, Class<S> type) {
        Object[] found = new Object[1];
        await("a " + type.getSimpleName() + " service", () -> {
            ServiceReference<S> ref = context.getServiceReference(type);
            found[0] = ref == null ? null : context.getService(ref);
            return found[0] != null;
        });
        return type.cast(found[0]);
    }

    /** The service of {@code type} matching {@code filter}, waiting while none is registered. */
    static <S> S service(BundleContext context, Class<S> type, String filter) {
        Object[] found = new Object[1];
        await("a " + type.getSimpleName() + " service " + filter, () -> {
            try {
                for (ServiceReference<S> ref : context.getServiceReferences(type, filter)) {
                    found[0] = context.getService(ref);
                    if (found[0] != null) {
                        return true;
                    }
                }
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new AssertionError(e);
            }
            return false;
        });
        return type.cast(found[0]);
    }

    /** The bus service as it is now (it changes when mdev.core restarts). */
    static MdevBus bus(BundleContext context) {
        await("the mdev bus", () -> context.getServiceReference(MdevBus.class) != null);
        return context.getService(context.getServiceReference(MdevBus.class));
    }

    /** Every test leaves the framework as it found it: bundles active, bus empty. */
    static void reset(BundleContext context) {
        for (String bsn : new String[] { "mdev.core", "vfio.core", "vfio.mdev", "vfio.type1", "virtio.core",
                "virtio.mdev", "virtio.uvirtio", "samples.mtty", "samples.mdsa", "samples.mbochs", "samples.mdpy", "virtio.pci", "samples.mvnet", "samples.uvirtio", "vendor.gvt",
                "vendor.ccw", "vendor.ap", "mdev.mdevctl", "mdev.sysfs", "vfio.user" }) {
            Bundle b = bundle(context, bsn);
            if (b.getState() != Bundle.ACTIVE) {
                start(b);
            }
        }
        virtio.pci.VirtioPciFront front = service(context, virtio.pci.VirtioPciFront.class);
        for (String device : front.assignments().keySet()) {
            front.unassign(device);
        }
        MdevBus bus = bus(context);
        awaitParent(bus, "mtty");
        awaitParent(bus, "mvnet");
        awaitParent(bus, "mdsa");
        for (MdevDevice d : bus.devices()) {
            if (d.classId() == mdev.core.MdevClassId.VIRTIO) {
                // a guest driver holds a VIRTIO mdev open: it lets go first
                service(context, virtio.core.VirtioBus.class).unbind("mdev:" + d.uuid());
            }
            bus.remove(d.uuid());
        }
        assertThat(bus.devices()).isEmpty();
    }

    /**
     * QEMU's realize of a VFIO mdev: the device's group set to {@code container} (a container
     * of the VM) and the type1v2 IOMMU chosen; returns the group, from which the device opens.
     */
    static VfioGroup groupInContainer(BundleContext context, VfioService service, UUID uuid,
            VfioContainer container, FileTable files) {
        vfioDevice(context, uuid);
        VfioGroup group = service.openGroup(service.groupOf(uuid.toString()), files);
        group.setContainer(container);
        container.setIommu(Vfio.VFIO_TYPE1v2_IOMMU);
        return group;
    }
}
