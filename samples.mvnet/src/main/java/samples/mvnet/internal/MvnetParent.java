package samples.mvnet.internal;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Component;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevClassId;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;

/** The mvnet parent: virtio-net loopback devices of class VIRTIO, up to 16. */
@Component(service = MdevParent.class, property = MdevConstants.PARENT + "=" + MvnetParent.NAME)
public final class MvnetParent implements MdevParent {
    static final String NAME = "mvnet";
    static final int MAX_DEVICES = 16;
    static final MdevTypeSpec LOOPBACK = new MdevTypeSpec("1", "virtio-net loopback",
            "virtio-net device whose TX frames come back on RX", "virtio-mdev");

    private final Map<UUID, MvnetDevice> devices = new ConcurrentHashMap<>();

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
        return List.of(LOOPBACK);
    }

    @Override
    public synchronized long availableInstances(MdevTypeSpec type) {
        return MAX_DEVICES - devices.size();
    }

    @Override
    public synchronized void create(MdevTypeSpec type, MdevDevice mdev) {
        if (devices.size() >= MAX_DEVICES) {
            throw new ErrnoException(Errno.ENOSPC, "mvnet has " + MAX_DEVICES + " devices already");
        }
        // A locally administered MAC made from the UUID.
        long bits = mdev.uuid().getLeastSignificantBits();
        byte[] mac = { 0x52, 0x54, (byte) (bits >> 24), (byte) (bits >> 16), (byte) (bits >> 8), (byte) bits };
        MvnetDevice device = new MvnetDevice(mac);
        mdev.setClassId(MdevClassId.VIRTIO);
        mdev.setDeviceOps(device);
        devices.put(mdev.uuid(), device);
    }

    @Override
    public synchronized void remove(MdevDevice mdev) {
        if (devices.remove(mdev.uuid()) == null) {
            throw new ErrnoException(Errno.EINVAL, "mvnet has no device " + mdev.uuid());
        }
    }
}
