package vendor.ap.internal;

import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevAttribute;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;
import vendor.ap.ApBus;

/**
 * The vfio_ap matrix device (vfio_ap_drv.c): the parent {@code matrix} of driver
 * {@code vfio_ap} with the one type {@code vfio_ap-passthrough}, over the AP bus of
 * configuration {@code vendor.ap.bus}. Each mdev's matrix is set through the kernel's device
 * attributes; stopping the bundle drops every mdev and frees its APQNs. A changed bus
 * configuration re-creates the parent (its mdevs go).
 */
@Component(service = { MdevParent.class, ApBus.class }, configurationPid = "vendor.ap.bus",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
@Designate(ocd = ApBusConfig.class)
public final class ApMatrixDevice implements MdevParent, ApBus {
    static final String NAME = "matrix";
    static final String DRIVER = "vfio_ap";
    static final MdevTypeSpec PASSTHROUGH = new MdevTypeSpec("passthrough", "VFIO AP Passthrough Device", "",
            "vfio-ap");

    private final ApMatrix matrix;
    private final Map<UUID, ApDevice> devices = new ConcurrentHashMap<>();
    private final List<MdevAttribute> attributes = List.of(
            store("assign_adapter", ApMatrix::assignAdapter),
            store("unassign_adapter", ApMatrix::unassignAdapter),
            store("assign_domain", ApMatrix::assignDomain),
            store("unassign_domain", ApMatrix::unassignDomain),
            store("assign_control_domain", ApMatrix::assignControlDomain),
            store("unassign_control_domain", ApMatrix::unassignControlDomain),
            show("control_domains", ApMatrix::controlDomains),
            show("matrix", ApMatrix::matrix));

    @Activate
    public ApMatrixDevice(ApBusConfig config) {
        this(new ApMatrix(new ApConfig(config.apxa(), config.na(), config.nd(), bits(config.adapters()),
                bits(config.domains()), bits(config.apmask()), bits(config.aqmask()))));
    }

    ApMatrixDevice(ApMatrix matrix) {
        this.matrix = matrix;
    }

    private static BitSet bits(int[] ids) {
        BitSet b = new BitSet();
        for (int id : ids) {
            if (id < 0 || id > 255) {
                throw new IllegalArgumentException("AP id " + id + " is not 0..255");
            }
            b.set(id);
        }
        return b;
    }

    ApMatrix matrix() {
        return matrix;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String driverName() {
        return DRIVER;
    }

    @Override
    public List<MdevTypeSpec> supportedTypes() {
        return List.of(PASSTHROUGH);
    }

    @Override
    public long availableInstances(MdevTypeSpec type) {
        return matrix.availableInstances();
    }

    @Override
    public void create(MdevTypeSpec type, MdevDevice mdev) {
        MatrixMdev m = matrix.create(mdev.uuid());
        ApDevice device = new ApDevice(matrix, m);
        try {
            mdev.setClassId(MdevClassId.VFIO);
            mdev.setDeviceOps(device);
        } catch (RuntimeException e) {
            matrix.remove(m);
            throw e;
        }
        devices.put(mdev.uuid(), device);
    }

    @Override
    public void remove(MdevDevice mdev) {
        ApDevice device = devices.get(mdev.uuid());
        if (device == null) {
            throw new ErrnoException(Errno.EINVAL, "the matrix has no mdev " + mdev.uuid());
        }
        matrix.remove(device.mdev());
        devices.remove(mdev.uuid());
        device.markRemoved();
    }

    @Override
    public List<MdevAttribute> deviceAttributes() {
        return attributes;
    }

    @Override
    public String apmask() {
        return ApMask.show(matrix.config().apmask());
    }

    @Override
    public String aqmask() {
        return ApMask.show(matrix.config().aqmask());
    }

    @Override
    public void writeApmask(String text) {
        matrix.writeMasks(text, true);
    }

    @Override
    public void writeAqmask(String text) {
        matrix.writeMasks(text, false);
    }

    @Deactivate
    void deactivate() {
        devices.values().forEach(ApDevice::markRemoved);
        devices.clear();
        matrix.removeAll();
    }

    private MatrixMdev of(MdevDevice mdev) {
        ApDevice device = devices.get(mdev.uuid());
        if (device == null) {
            throw new ErrnoException(Errno.ENODEV, "the matrix has no mdev " + mdev.uuid());
        }
        return device.mdev();
    }

    private MdevAttribute store(String name, Store action) {
        return new MdevAttribute() {
            public String name() {
                return name;
            }

            public boolean readable() {
                return false;
            }

            public boolean writable() {
                return true;
            }

            public void store(MdevDevice device, String value) {
                action.apply(matrix, of(device), value);
            }
        };
    }

    private MdevAttribute show(String name, BiFunction<ApMatrix, MatrixMdev, String> action) {
        return new MdevAttribute() {
            public String name() {
                return name;
            }

            public String show(MdevDevice device) {
                return action.apply(matrix, of(device));
            }
        };
    }

    /** One of ApMatrix's stores: (matrix, mdev, text written). */
    @FunctionalInterface
    interface Store {
        void apply(ApMatrix matrix, MatrixMdev mdev, String value);
    }
}
