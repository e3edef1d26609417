package samples.mtty.internal;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevBudget;
import mdev.core.MdevClassId;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;
import vfio.core.Vfio;

/**
 * The mtty parent device: types mtty-1 (one port) and mtty-2 (two ports) out of MAX_MTTYS
 * ports in all. Stopping this bundle unregisters the parent and the bus removes its devices.
 */
@Component(service = MdevParent.class, property = MdevConstants.PARENT + "=" + MttyParent.NAME)
public final class MttyParent implements MdevParent {
    static final String NAME = "mtty";
    /** MAX_MTTYS: ports per parent. */
    static final int MAX_MTTYS = 24;

    static final MdevTypeSpec SINGLE = new MdevTypeSpec("1", "Single port serial",
            "PCI serial card with one 16550A UART", Vfio.VFIO_DEVICE_API_PCI_STRING);
    static final MdevTypeSpec DUAL = new MdevTypeSpec("2", "Dual port serial",
            "PCI serial card with two 16550A UARTs", Vfio.VFIO_DEVICE_API_PCI_STRING);

    private final Map<UUID, MttyDevice> devices = new ConcurrentHashMap<>();
    private final MdevBudget ports = new MdevBudget(MAX_MTTYS, "port(s)");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<MdevTypeSpec> supportedTypes() {
        return List.of(SINGLE, DUAL);
    }

    private static int portsOf(MdevTypeSpec type) {
        if (type.equals(SINGLE)) {
            return 1;
        }
        if (type.equals(DUAL)) {
            return 2;
        }
        throw new ErrnoException(Errno.EINVAL, "mtty has no type " + type.name());
    }

    @Override
    public long availableInstances(MdevTypeSpec type) {
        return ports.free() / portsOf(type);
    }

    @Override
    public void create(MdevTypeSpec type, MdevDevice mdev) {
        int needed = portsOf(type);
        ports.reserve(needed, "type mtty-" + type.name());
        try {
            MttyDevice device = new MttyDevice(mdev.uuid(), needed);
            mdev.setClassId(MdevClassId.VFIO);
            mdev.setDeviceOps(device);
            devices.put(mdev.uuid(), device);
        } catch (RuntimeException e) {
            ports.release(needed);
            throw e;
        }
    }

    @Override
    public void remove(MdevDevice mdev) {
        MttyDevice device = devices.remove(mdev.uuid());
        if (device == null) {
            throw new ErrnoException(Errno.EINVAL, "mtty has no device " + mdev.uuid());
        }
        device.markRemoved();
        ports.release(device.nrPorts());
    }
}
