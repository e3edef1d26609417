package samples.mbochs.internal;

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
 * The mbochs parent: types mbochs-small, mbochs-medium and mbochs-large (4, 16 and 64 MB of video
 * memory) out of a budget of {@value #MAX_MBYTES} MB shared by all devices, which is what
 * available_instances counts and what a create past it answers ENOSPC to. Each device's monitor
 * asks for 1024x768, or the type's largest mode if smaller; its {@code resolution} attribute
 * reads and sets that mode (the EDID is generated again).
 */
@Component(service = MdevParent.class, property = MdevConstants.PARENT + "=" + MbochsParent.NAME)
public final class MbochsParent implements MdevParent {
    static final String NAME = "mbochs";
    /** mbochs.c's max_mbytes module parameter default. */
    static final int MAX_MBYTES = 256;
    static final List<MbochsType> TYPES = List.of(MbochsType.SMALL, MbochsType.MEDIUM, MbochsType.LARGE);

    private final Map<UUID, MbochsDevice> devices = new ConcurrentHashMap<>();
    private final MdevBudget videoMemory = new MdevBudget(MAX_MBYTES, "MB of video memory");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<MdevTypeSpec> supportedTypes() {
        return TYPES.stream().map(MbochsType::spec).toList();
    }

    private static MbochsType typeOf(MdevTypeSpec spec) {
        for (MbochsType t : TYPES) {
            if (t.spec().equals(spec)) {
                return t;
            }
        }
        throw new ErrnoException(Errno.EINVAL, "mbochs has no type " + spec.name());
    }

    @Override
    public long availableInstances(MdevTypeSpec spec) {
        return videoMemory.free() / typeOf(spec).mbytes();
    }

    @Override
    public void create(MdevTypeSpec spec, MdevDevice mdev) {
        MbochsType type = typeOf(spec);
        videoMemory.reserve(type.mbytes(), "mbochs-" + spec.name());
        try {
            int width = type.allows(1024, 768) ? 1024 : type.maxX();
            int height = type.allows(1024, 768) ? 768 : type.maxY();
            MbochsDevice device = new MbochsDevice(mdev.uuid(), type, width, height);
            mdev.setClassId(MdevClassId.VFIO);
            mdev.setDeviceOps(device);
            devices.put(mdev.uuid(), device);
        } catch (RuntimeException e) {
            videoMemory.release(type.mbytes());
            throw e;
        }
    }

    @Override
    public void remove(MdevDevice mdev) {
        MbochsDevice device = devices.remove(mdev.uuid());
        if (device == null) {
            throw new ErrnoException(Errno.EINVAL, "mbochs has no device " + mdev.uuid());
        }
        device.markRemoved();
        videoMemory.release(device.type().mbytes());
    }

    @Override
    public List<MdevAttribute> deviceAttributes() {
        return List.of(resolution);
    }

    /** {@code resolution}: "WIDTHxHEIGHT\n" of the monitor's preferred mode; writing one sets it. */
    private final MdevAttribute resolution = new MdevAttribute() {
        @Override
        public String name() {
            return "resolution";
        }

        @Override
        public boolean writable() {
            return true;
        }

        @Override
        public String show(MdevDevice mdev) {
            int[] wh = device(mdev).resolution();
            return wh[0] + "x" + wh[1] + "\n";
        }

        @Override
        public void store(MdevDevice mdev, String value) {
            MbochsDevice device = device(mdev);
            String text = value.strip();
            String[] wh = text.split("x");
            int width;
            int height;
            try {
                width = wh.length == 2 ? Integer.parseInt(wh[0]) : -1;
                height = wh.length == 2 ? Integer.parseInt(wh[1]) : -1;
            } catch (NumberFormatException e) {
                width = height = -1;
            }
            if (!device.type().allows(width, height)) {
                throw new ErrnoException(Errno.EINVAL, "resolution '" + text + "' is not WIDTHxHEIGHT within "
                        + device.type().spec().description());
            }
            device.setResolution(width, height);
        }
    };

    private MbochsDevice device(MdevDevice mdev) {
        MbochsDevice device = devices.get(mdev.uuid());
        if (device == null) {
            throw new ErrnoException(Errno.ENODEV, "mbochs has no device " + mdev.uuid());
        }
        return device;
    }
}
