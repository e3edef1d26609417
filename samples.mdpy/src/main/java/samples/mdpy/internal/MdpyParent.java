package samples.mdpy.internal;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevAttribute;
import mdev.core.MdevBudget;
import mdev.core.MdevClassId;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;

/**
 * The mdpy parent: types mdpy-vga, mdpy-xga and mdpy-hd, at most {@value #MAX_DEVICES} devices of
 * any types (the sample's {@code count} parameter), which available_instances counts and a create
 * past answers ENOSPC to. Each device has a read-only {@code resolution} attribute.
 */
@Component(service = MdevParent.class, property = MdevConstants.PARENT + "=" + MdpyParent.NAME)
public final class MdpyParent implements MdevParent {
    static final String NAME = "mdpy";
    static final int MAX_DEVICES = 4;
    static final List<MdpyType> TYPES = List.of(MdpyType.VGA, MdpyType.XGA, MdpyType.HD);

    private final Map<UUID, MdpyDevice> devices = new ConcurrentHashMap<>();
    private final MdevBudget count = new MdevBudget(MAX_DEVICES, "device(s)");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<MdevTypeSpec> supportedTypes() {
        return TYPES.stream().map(MdpyType::spec).toList();
    }

    private static MdpyType typeOf(MdevTypeSpec spec) {
        for (MdpyType t : TYPES) {
            if (t.spec().equals(spec)) {
                return t;
            }
        }
        throw new ErrnoException(Errno.EINVAL, "mdpy has no type " + spec.name());
    }

    @Override
    public long availableInstances(MdevTypeSpec spec) {
        typeOf(spec);
        return count.free();
    }

    @Override
    public void create(MdevTypeSpec spec, MdevDevice mdev) {
        MdpyType type = typeOf(spec);
        count.reserve(1, "mdpy-" + spec.name());
        try {
            MdpyDevice device = new MdpyDevice(mdev.uuid(), type);
            mdev.setClassId(MdevClassId.VFIO);
            mdev.setDeviceOps(device);
            devices.put(mdev.uuid(), device);
        } catch (RuntimeException e) {
            count.release(1);
            throw e;
        }
    }

    @Override
    public void remove(MdevDevice mdev) {
        MdpyDevice device = devices.remove(mdev.uuid());
        if (device == null) {
            throw new ErrnoException(Errno.EINVAL, "mdpy has no device " + mdev.uuid());
        }
        device.markRemoved();
        count.release(1);
    }

    @Override
    public List<MdevAttribute> deviceAttributes() {
        return List.of(resolution);
    }

    /** {@code resolution}: "WIDTHxHEIGHT\n", read-only (the sample's vendor/resolution). */
    private final MdevAttribute resolution = new MdevAttribute() {
        @Override
        public String name() {
            return "resolution";
        }

        @Override
        public String show(MdevDevice mdev) {
            MdpyDevice device = devices.get(mdev.uuid());
            if (device == null) {
                throw new ErrnoException(Errno.ENODEV, "mdpy has no device " + mdev.uuid());
            }
            return device.type().width() + "x" + device.type().height() + "\n";
        }
    };
}
