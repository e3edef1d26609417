package com.example.counter;

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
 * A vendor parent of one's own: parent "counter" with one type, "counter-1", of which at most
 * four devices exist. Each device is a {@link CounterDevice}, a VFIO PCI device through the
 * vfio.mdev class driver.
 */
@Component(service = MdevParent.class, property = MdevConstants.PARENT + "=" + CounterParent.NAME)
public final class CounterParent implements MdevParent {
    public static final String NAME = "counter";
    public static final MdevTypeSpec TYPE = new MdevTypeSpec("1", "counter-1", "a PCI device that counts writes to BAR0",
            Vfio.VFIO_DEVICE_API_PCI_STRING);

    private final Map<UUID, CounterDevice> devices = new ConcurrentHashMap<>();
    private final MdevBudget budget = new MdevBudget(4, "device(s)");

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<MdevTypeSpec> supportedTypes() {
        return List.of(TYPE);
    }

    @Override
    public long availableInstances(MdevTypeSpec type) {
        return budget.free();
    }

    @Override
    public void create(MdevTypeSpec type, MdevDevice mdev) {
        budget.reserve(1, "counter-1");
        CounterDevice device = new CounterDevice(mdev.uuid());
        mdev.setClassId(MdevClassId.VFIO);
        mdev.setDeviceOps(device);
        devices.put(mdev.uuid(), device);
    }

    @Override
    public void remove(MdevDevice mdev) {
        CounterDevice device = devices.remove(mdev.uuid());
        if (device == null) {
            throw new ErrnoException(Errno.EINVAL, "counter has no device " + mdev.uuid());
        }
        device.markRemoved();
        budget.release(1);
    }
}
