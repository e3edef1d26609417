package virtio.core.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;
import virtio.core.GuestVirtqueue;
import virtio.core.Virtio;
import virtio.core.VirtioCallback;
import virtio.core.VirtioDevice;
import virtio.core.VirtioGuestDevice;
import virtio.core.Virtqueue;

/**
 * A device as the bus hands it to a guest driver: the status handshake and config reads of
 * Linux's virtio core, and queues in a guest memory of its own (the address space the device
 * is told about with setGuestMemory).
 */
final class GuestDeviceImpl implements VirtioGuestDevice {
    /** Queues are capped at this size so each device's guest memory stays small. */
    static final int MAX_QUEUE = 256;
    static final long MEMORY_BASE = 0x1_0000_0000L;

    private final VirtioDevice device;
    private final List<GuestVirtqueue> queues = new ArrayList<>();

    GuestDeviceImpl(VirtioDevice device) {
        this.device = device;
    }

    @Override
    public String name() {
        return device.name();
    }

    @Override
    public int deviceId() {
        return device.getDeviceId();
    }

    @Override
    public long deviceFeatures() {
        return device.getFeatures();
    }

    @Override
    public long negotiate(long driverFeatures) {
        device.setStatus(Virtio.STATUS_ACKNOWLEDGE);
        device.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER);
        long offered = device.getFeatures();
        if ((driverFeatures & ~offered) != 0 || (driverFeatures & Virtio.bit(Virtio.F_VERSION_1)) == 0) {
            device.setStatus(device.getStatus() | Virtio.STATUS_FAILED);
            throw new ErrnoException(Errno.EINVAL, "driver features 0x" + Long.toHexString(driverFeatures)
                    + " are not a VERSION_1 subset of the device's 0x" + Long.toHexString(offered));
        }
        device.setFeatures(driverFeatures);
        device.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_FEATURES_OK);
        if ((device.getStatus() & Virtio.STATUS_FEATURES_OK) == 0) {
            device.setStatus(device.getStatus() | Virtio.STATUS_FAILED);
            throw new ErrnoException(Errno.EINVAL, "device " + name() + " did not accept features 0x"
                    + Long.toHexString(driverFeatures));
        }
        return driverFeatures;
    }

    @Override
    public void readConfig(int offset, ByteBuffer dst) {
        int start = dst.position();
        for (int tries = 0; tries < 100; tries++) {
            int before = device.getGeneration();
            dst.position(start);
            device.getConfig(offset, dst);
            if (device.getGeneration() == before) {
                return;
            }
        }
        throw new ErrnoException(Errno.EAGAIN, "config of " + name() + " kept changing");
    }

    @Override
    public void writeConfig(int offset, ByteBuffer src) {
        device.setConfig(offset, src);
    }

    @Override
    public synchronized List<GuestVirtqueue> findVqs(List<String> names, List<VirtioCallback> callbacks) {
        if (names.size() != callbacks.size() || names.isEmpty()) {
            throw new ErrnoException(Errno.EINVAL, names.size() + " queue names for " + callbacks.size() + " callbacks");
        }
        if (!queues.isEmpty()) {
            throw new ErrnoException(Errno.EBUSY, "queues of " + name() + " are already set up");
        }
        int size = Math.min(device.getVqNumMax(), MAX_QUEUE);
        long perQueue = (long) Virtqueue.DESC_SIZE * size + 6 + 2L * size + 6 + 8L * size
                + (long) GuestVirtqueueImpl.SLOT * size + 3 * 4096;
        long total = (perQueue * callbacks.size() + 4095) & -4096L;
        VmAddressSpace memory = new VmAddressSpace("virtio:" + name());
        GuestMemoryAllocator allocator = new GuestMemoryAllocator(memory, MEMORY_BASE, Math.max(total, 4096));
        device.setGuestMemory(memory);
        for (int i = 0; i < callbacks.size(); i++) {
            GuestVirtqueueImpl q = new GuestVirtqueueImpl(device, memory, allocator, i, size);
            device.setVqNum(i, size);
            device.setVqAddress(i, q.descArea(), q.driverArea(), q.deviceArea());
            device.setVqCallback(i, callbacks.get(i));
            device.setVqName(i, names.get(i));
            device.setVqReady(i, true);
            queues.add(q);
        }
        return List.copyOf(queues);
    }

    @Override
    public void driverOk() {
        device.setStatus(device.getStatus() | Virtio.STATUS_DRIVER_OK);
        if ((device.getStatus() & Virtio.STATUS_DRIVER_OK) == 0) {
            throw new ErrnoException(Errno.EINVAL, "device " + name() + " refused DRIVER_OK");
        }
    }

    @Override
    public int status() {
        return device.getStatus();
    }

    @Override
    public synchronized void reset() {
        queues.clear();
        device.setStatus(0);
    }
}
