package virtio.core;

import java.nio.ByteBuffer;
import java.util.concurrent.locks.StampedLock;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/**
 * A device on the virtio bus that forwards to a device's ops (virtio_mdev.c's
 * virtio_config_ops do this for mdevs), each call under a read lock of {@code guard}, which
 * {@link #shutdown} takes for writing once: calls in flight finish before the provider frees
 * the device, and later calls answer ENODEV. Providers register it as the {@link VirtioDevice}
 * service and shut it down after unregistering. A provider may also be told when a driver
 * starts using the device (its status leaves 0) and stops (reset to 0, or the handle shut down),
 * as virtio-mdev holds its mdev open meanwhile.
 */
@org.osgi.annotation.versioning.ProviderType
public final class VirtioDeviceHandle implements VirtioDevice {
    private final String name;
    private final VirtioDeviceOps ops;
    private final StampedLock guard = new StampedLock();
    private final DriverUse use;
    private boolean gone;
    /** Whether a driver uses the device (status not 0); guarded by {@code use}. */
    private boolean inUse;

    /** Told when a driver starts using the device and when it stops. */
    @FunctionalInterface
    public interface DriverUse {
        /** {@code true}: the status left 0 (throwing refuses the status); {@code false}: reset or gone. */
        void inUse(boolean inUse);
    }

    public VirtioDeviceHandle(String name, VirtioDeviceOps ops) {
        this(name, ops, inUse -> { });
    }

    public VirtioDeviceHandle(String name, VirtioDeviceOps ops, DriverUse use) {
        this.name = name;
        this.ops = ops;
        this.use = java.util.Objects.requireNonNull(use, "use");
    }

    @Override
    public String name() {
        return name;
    }

    /** Waits for calls in flight; every later call answers ENODEV; a driver's use ends. */
    public void shutdown() {
        long stamp = guard.writeLock();
        gone = true;
        guard.unlockWrite(stamp);
        synchronized (use) {
            if (inUse) {
                inUse = false;
                use.inUse(false);
            }
        }
    }

    private long enter() {
        long stamp = guard.readLock();
        if (gone) {
            guard.unlockRead(stamp);
            throw new ErrnoException(Errno.ENODEV, "virtio device " + name() + " has been removed or unbound");
        }
        return stamp;
    }

    private void leave(long stamp) {
        guard.unlockRead(stamp);
    }

    @Override
    public void setGuestMemory(VmAddressSpace memory) {
        long s = enter();
        try {
            ops.setGuestMemory(memory);
        } finally {
            leave(s);
        }
    }

    @Override
    public void setVqAddress(int index, long descArea, long driverArea, long deviceArea) {
        long s = enter();
        try {
            ops.setVqAddress(index, descArea, driverArea, deviceArea);
        } finally {
            leave(s);
        }
    }

    @Override
    public void setVqNum(int index, int num) {
        long s = enter();
        try {
            ops.setVqNum(index, num);
        } finally {
            leave(s);
        }
    }

    @Override
    public void kickVq(int index) {
        long s = enter();
        try {
            ops.kickVq(index);
        } finally {
            leave(s);
        }
    }

    @Override
    public void setVqCallback(int index, VirtioCallback callback) {
        long s = enter();
        try {
            ops.setVqCallback(index, callback);
        } finally {
            leave(s);
        }
    }

    @Override
    public void setVqName(int index, String name) {
        long s = enter();
        try {
            ops.setVqName(index, name);
        } finally {
            leave(s);
        }
    }

    @Override
    public void setVqReady(int index, boolean ready) {
        long s = enter();
        try {
            ops.setVqReady(index, ready);
        } finally {
            leave(s);
        }
    }

    @Override
    public boolean getVqReady(int index) {
        long s = enter();
        try {
            return ops.getVqReady(index);
        } finally {
            leave(s);
        }
    }

    @Override
    public void setVqState(int index, long state) {
        long s = enter();
        try {
            ops.setVqState(index, state);
        } finally {
            leave(s);
        }
    }

    @Override
    public long getVqState(int index) {
        long s = enter();
        try {
            return ops.getVqState(index);
        } finally {
            leave(s);
        }
    }

    @Override
    public int getVqAlign() {
        long s = enter();
        try {
            return ops.getVqAlign();
        } finally {
            leave(s);
        }
    }

    @Override
    public long getFeatures() {
        long s = enter();
        try {
            return ops.getFeatures();
        } finally {
            leave(s);
        }
    }

    @Override
    public void setFeatures(long features) {
        long s = enter();
        try {
            ops.setFeatures(features);
        } finally {
            leave(s);
        }
    }

    @Override
    public void setConfigCallback(VirtioCallback callback) {
        long s = enter();
        try {
            ops.setConfigCallback(callback);
        } finally {
            leave(s);
        }
    }

    @Override
    public int getVqNumMax() {
        long s = enter();
        try {
            return ops.getVqNumMax();
        } finally {
            leave(s);
        }
    }

    @Override
    public int getConfigSize() {
        long s = enter();
        try {
            return ops.getConfigSize();
        } finally {
            leave(s);
        }
    }

    @Override
    public int getQueueCount() {
        long s = enter();
        try {
            return ops.getQueueCount();
        } finally {
            leave(s);
        }
    }

    @Override
    public int getDeviceId() {
        long s = enter();
        try {
            return ops.getDeviceId();
        } finally {
            leave(s);
        }
    }

    @Override
    public int getVendorId() {
        long s = enter();
        try {
            return ops.getVendorId();
        } finally {
            leave(s);
        }
    }

    @Override
    public int getStatus() {
        long s = enter();
        try {
            return ops.getStatus();
        } finally {
            leave(s);
        }
    }

    @Override
    public void setStatus(int status) {
        long s = enter();
        try {
            synchronized (use) {
                boolean starting = status != 0 && !inUse;
                if (starting) {
                    use.inUse(true);   // may refuse: nothing has changed yet
                    inUse = true;
                }
                try {
                    ops.setStatus(status);
                } catch (RuntimeException e) {
                    if (starting) {
                        inUse = false;
                        use.inUse(false);
                    }
                    throw e;
                }
                if (status == 0 && inUse) {
                    inUse = false;
                    use.inUse(false);
                }
            }
        } finally {
            leave(s);
        }
    }

    @Override
    public void getConfig(int offset, ByteBuffer dst) {
        long s = enter();
        try {
            ops.getConfig(offset, dst);
        } finally {
            leave(s);
        }
    }

    @Override
    public void setConfig(int offset, ByteBuffer src) {
        long s = enter();
        try {
            ops.setConfig(offset, src);
        } finally {
            leave(s);
        }
    }

    @Override
    public int getGeneration() {
        long s = enter();
        try {
            return ops.getGeneration();
        } finally {
            leave(s);
        }
    }
}
