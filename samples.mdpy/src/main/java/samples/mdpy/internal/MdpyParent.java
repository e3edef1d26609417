package samples.mdpy.internal;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevAttribute;
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
    /** Devices made, guarded by {@code this}. */
    private int count;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String driverName() {
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
    public synchronized long availableInstances(MdevTypeSpec spec) {
        typeOf(spec);
        return MAX_DEVICES - count;
    }

    @Override
    public void create(MdevTypeSpec spec, MdevDevice mdev) {
        MdpyType type = typeOf(spec);
        synchronized (this) {
            if (count >= MAX_DEVICES) {
                throw new ErrnoException(Errno.ENOSPC, "mdpy has " + MAX_DEVICES + " devices already");
            }
            count++;
        }
        try {
            MdpyDevice device = new MdpyDevice(mdev.uuid(), type);
            mdev.setClassId(MdevClassId.VFIO);
            mdev.setDeviceOps(device);
            devices.put(mdev.uuid(), device);
        } catch (RuntimeException e) {
            synchronized (this) {
                count--;
            }
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
        synchronized (this) {
            count--;
        }
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
