package virtio.core;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/**
 * The virtio 1.1 device model that every device here shares: status with its rules (§2.1,
 * §3.1), feature negotiation with VERSION_1 required, config space with a generation counter
 * (§2.4), queue setup and reset. A device supplies its id, features, queue count and config,
 * and handles kicks in {@link #onKick}.
 *
 * <p>Every entry point holds the device's monitor (the vendor lock of the lock order); queue
 * and config callbacks run after it is released, so drivers may call back in.
 *
 * <p>A device whose queues are independent (its {@link #onKick} touches only the kicked queue and
 * state fixed at creation) may ask for kicks under a per-queue lock instead of the monitor: a
 * spin lock taken with one compare-and-set and released with a plain store, so a notify costs no
 * monitor and kicks of different queues run at once; a queue kicked by one thread is biased to
 * it and costs no atomic at all ({@link KickLock}). Then everything a kick reads (status, a
 * queue's setup, readiness and callback) changes only under the monitor and the locks of the
 * queues concerned, taken in index order after the monitor; a kick never takes the monitor while
 * it holds its queue's lock. Such an onKick must not block.
 */
public abstract class VirtioDeviceBase implements VirtioDeviceOps {
    private final int deviceId;
    private final int vendorId;
    private final long offeredFeatures;
    private final int queueNumMax;
    private final QueueState[] queues;
    protected final byte[] config;

    /** Whether kicks run under their queue's lock rather than the monitor (see the class comment). */
    private final boolean kicksUnderQueueLock;
    private volatile VmAddressSpace memory;
    private int status;
    private long driverFeatures;
    private int generation;
    private VirtioCallback configCallback;
    /** Callbacks to run once the monitor is released; reused. */
    private final List<VirtioCallback> pending = new ArrayList<>();

    private static final class QueueState {
        /** The queue's kick lock, when kicks run under queue locks. */
        final KickLock kickLock = new KickLock();
        /**
         * While a kick under the queue lock runs: its thread's id (0 otherwise; a number, not the
         * Thread, so the kick stores no reference and pays no GC write barrier), and whether it
         * returned used buffers.
         */
        long kicker;
        boolean usedInKick;
        int num;
        long desc;
        long driver;
        long device;
        boolean ready;
        VirtioCallback callback;
        Virtqueue vq;
    }

    protected VirtioDeviceBase(int deviceId, int vendorId, long features, int queues, int queueNumMax, byte[] config) {
        this(deviceId, vendorId, features, queues, queueNumMax, config, false);
    }

    /**
     * A device whose kicks run under their queue's lock when {@code kicksUnderQueueLock} (its
     * queues are independent, see the class comment), else under the monitor.
     */
    protected VirtioDeviceBase(int deviceId, int vendorId, long features, int queues, int queueNumMax, byte[] config,
            boolean kicksUnderQueueLock) {
        this.kicksUnderQueueLock = kicksUnderQueueLock;
        if ((features & Virtio.bit(Virtio.F_VERSION_1)) == 0) {
            throw new IllegalArgumentException("a virtio 1.1 device offers VERSION_1");
        }
        this.deviceId = deviceId;
        this.vendorId = vendorId;
        this.offeredFeatures = features;
        this.queueNumMax = queueNumMax;
        this.queues = new QueueState[queues];
        for (int i = 0; i < queues; i++) {
            this.queues[i] = new QueueState();
        }
        this.config = config.clone();
    }

    /**
     * Handles a kick on a ready queue of a live device; runs with the monitor held, or with the
     * queue's lock alone for a device made with kicks under queue locks.
     */
    protected abstract void onKick(int index, Virtqueue vq);

    /** Called on reset with the monitor held; devices drop their own state. */
    protected void onReset() {
    }

    /** The queue's used-buffer callback will run when the current call returns. */
    protected final void notifyUsed(int index) {
        QueueState q = queues[index];
        if (q.kicker == Thread.currentThread().getId()) {
            q.usedInKick = true;   // a kick under the queue lock fires the callback itself
            return;
        }
        VirtioCallback cb = q.callback;
        if (cb != null && !pending.contains(cb)) {
            pending.add(cb);
        }
    }

    /** The queue, if set up and ready; for devices that fill queues outside a kick (RX). */
    protected final Virtqueue queue(int index) {
        QueueState q = queues[index];
        return q.ready && live() ? q.vq : null;
    }

    /** The guest memory the driver's queues are in, or null before it is set. */
    protected final VmAddressSpace guestMemory() {
        return memory;
    }

    protected final boolean live() {
        return (status & Virtio.STATUS_DRIVER_OK) != 0 && (status & Virtio.STATUS_DEVICE_NEEDS_RESET) == 0;
    }

    /** Changes config bytes and the generation; the config callback runs after the call. */
    protected final void updateConfig(int offset, byte[] bytes) {
        System.arraycopy(bytes, 0, config, offset, bytes.length);
        generation++;
        if (configCallback != null && !pending.contains(configCallback)) {
            pending.add(configCallback);
        }
    }

    /** Runs the callbacks collected under the monitor. Call with the monitor released. */
    private void runPending() {
        VirtioCallback one;
        List<VirtioCallback> run;
        synchronized (this) {
            if (pending.isEmpty()) {
                return;
            }
            // one callback (a queue's, after a kick) is the common case: taken without a copy
            one = pending.size() == 1 ? pending.get(0) : null;
            run = one == null ? List.copyOf(pending) : null;
            pending.clear();
        }
        if (one != null) {
            one.fire();
            return;
        }
        for (VirtioCallback cb : run) {
            cb.fire();
        }
    }

    private QueueState q(int index) {
        if (index < 0 || index >= queues.length) {
            throw new ErrnoException(Errno.EINVAL, "queue " + index + " of " + queues.length);
        }
        return queues[index];
    }

    private void requireNotReady(QueueState q, int index) {
        if (q.ready) {
            throw new ErrnoException(Errno.EBUSY, "queue " + index + " is ready: disable it first");
        }
    }

    @Override
    public synchronized void setGuestMemory(VmAddressSpace guestMemory) {
        this.memory = guestMemory;
    }

    @Override
    public synchronized void setVqAddress(int index, long descArea, long driverArea, long deviceArea) {
        QueueState q = q(index);
        requireNotReady(q, index);
        q.desc = descArea;
        q.driver = driverArea;
        q.device = deviceArea;
    }

    @Override
    public synchronized void setVqNum(int index, int num) {
        QueueState q = q(index);
        requireNotReady(q, index);
        if (num <= 0 || num > queueNumMax || Integer.bitCount(num) != 1) {
            throw new ErrnoException(Errno.EINVAL, "queue size " + num + " is not a power of 2 up to " + queueNumMax);
        }
        q.num = num;
    }

    @Override
    public void kickVq(int index) {
        if (kicksUnderQueueLock) {
            kickUnderQueueLock(index);
            return;
        }
        boolean callbacks;
        synchronized (this) {
            QueueState q = q(index);
            if (q.ready && live()) {
                try {
                    onKick(index, q.vq);
                } catch (ErrnoException e) {
                    needsReset();
                }
            }
            callbacks = !pending.isEmpty();
        }
        if (callbacks) {
            runPending();
        }
    }

    /** The driver broke a ring: the device needs a reset (§2.1.2). Under the monitor. */
    private void needsReset() {
        status |= Virtio.STATUS_DEVICE_NEEDS_RESET;
        if (configCallback != null && !pending.contains(configCallback)) {
            pending.add(configCallback);
        }
    }

    private void kickUnderQueueLock(int index) {
        QueueState q = q(index);
        VirtioCallback used = null;
        boolean broken = false;
        KickLock lock = q.kickLock;
        boolean biased = lock.enterBiased();
        if (!biased) {
            lock.lock();
        }
        try {
            if (!q.ready || !live()) {
                return;
            }
            q.kicker = Thread.currentThread().getId();
            q.usedInKick = false;
            try {
                onKick(index, q.vq);
            } catch (ErrnoException e) {
                broken = true;
            } finally {
                q.kicker = 0;
            }
            used = q.usedInKick ? q.callback : null;
        } finally {
            if (biased) {
                lock.leaveBiased();
            } else {
                lock.unlock(true);
            }
        }
        if (broken) {
            synchronized (this) {   // the queue lock is released: the monitor comes first in the order
                lockAll();
                try {
                    needsReset();
                } finally {
                    unlockAll();
                }
            }
            runPending();
        }
        if (used != null) {
            used.fire();
        }
    }

    /**
     * Under the monitor, before changing what kicks read: takes every queue's lock in index order
     * (a no-op when kicks run under the monitor), so no kick is running and the next sees the change.
     */
    private void lockAll() {
        if (kicksUnderQueueLock) {
            for (QueueState q : queues) {
                q.kickLock.lock();
            }
        }
    }

    /** Takes one queue's lock under the monitor, when kicks run under queue locks. */
    private void lockQueue(QueueState q) {
        if (kicksUnderQueueLock) {
            q.kickLock.lock();
        }
    }

    private void unlockQueue(QueueState q) {
        if (kicksUnderQueueLock) {
            q.kickLock.unlock(false);
        }
    }

    private void unlockAll() {
        if (kicksUnderQueueLock) {
            for (int i = queues.length - 1; i >= 0; i--) {
                queues[i].kickLock.unlock(false);
            }
        }
    }

    @Override
    public synchronized void setVqCallback(int index, VirtioCallback callback) {
        QueueState q = q(index);
        lockQueue(q);
        q.callback = callback;
        unlockQueue(q);
    }

    @Override
    public synchronized void setVqReady(int index, boolean ready) {
        QueueState q = q(index);
        lockQueue(q);
        try {
            setVqReady(q, index, ready);
        } finally {
            unlockQueue(q);
        }
    }

    private void setVqReady(QueueState q, int index, boolean ready) {
        if (!ready) {
            q.ready = false;
            q.vq = null;
            return;
        }
        if (memory == null) {
            throw new ErrnoException(Errno.EINVAL, "no guest memory set for the queues");
        }
        if (q.num == 0) {
            throw new ErrnoException(Errno.EINVAL, "queue " + index + " has no size");
        }
        q.vq = new Virtqueue(memory, q.num, q.desc, q.driver, q.device,
                (driverFeatures & Virtio.bit(Virtio.F_RING_INDIRECT_DESC)) != 0);
        q.ready = true;
    }

    @Override
    public synchronized boolean getVqReady(int index) {
        return q(index).ready;
    }

    @Override
    public synchronized void setVqState(int index, long state) {
        QueueState q = q(index);
        if (q.vq == null) {
            throw new ErrnoException(Errno.EINVAL, "queue " + index + " is not set up");
        }
        lockQueue(q);
        q.vq.setLastAvail((int) state);
        unlockQueue(q);
    }

    @Override
    public synchronized long getVqState(int index) {
        QueueState q = q(index);
        lockQueue(q);
        try {
            return q.vq == null ? 0 : q.vq.lastAvail();
        } finally {
            unlockQueue(q);
        }
    }

    @Override
    public int getVqAlign() {
        return 4;
    }

    @Override
    public long getFeatures() {
        return offeredFeatures;
    }

    @Override
    public synchronized void setFeatures(long features) {
        if ((status & Virtio.STATUS_FEATURES_OK) != 0) {
            throw new ErrnoException(Errno.EBUSY, "features are fixed once FEATURES_OK is set");
        }
        long unknown = features & ~offeredFeatures;
        if (unknown != 0) {
            throw new ErrnoException(Errno.EINVAL, "features 0x" + Long.toHexString(unknown) + " are not offered");
        }
        driverFeatures = features;
    }

    public synchronized long negotiatedFeatures() {
        return driverFeatures;
    }

    @Override
    public synchronized void setConfigCallback(VirtioCallback callback) {
        configCallback = callback;
    }

    @Override
    public int getVqNumMax() {
        return queueNumMax;
    }

    @Override
    public int getQueueCount() {
        return queues.length;
    }

    @Override
    public int getDeviceId() {
        return deviceId;
    }

    @Override
    public int getVendorId() {
        return vendorId;
    }

    @Override
    public synchronized int getStatus() {
        return status;
    }

    /**
     * Writing 0 resets. Otherwise bits are only added; FEATURES_OK is kept only if the
     * accepted features include VERSION_1, and DRIVER_OK only after FEATURES_OK.
     */
    @Override
    public synchronized void setStatus(int newStatus) {
        lockAll();
        try {
            changeStatus(newStatus);
        } finally {
            unlockAll();
        }
    }

    private void changeStatus(int newStatus) {
        if (newStatus == 0) {
            reset();
            return;
        }
        int added = newStatus & ~status;
        if ((added & Virtio.STATUS_FEATURES_OK) != 0 && (driverFeatures & Virtio.bit(Virtio.F_VERSION_1)) == 0) {
            newStatus &= ~Virtio.STATUS_FEATURES_OK;
        }
        if ((added & Virtio.STATUS_DRIVER_OK) != 0 && (newStatus & Virtio.STATUS_FEATURES_OK) == 0) {
            newStatus &= ~Virtio.STATUS_DRIVER_OK;
        }
        status |= newStatus;
    }

    private void reset() {
        status = 0;
        driverFeatures = 0;
        for (QueueState q : queues) {
            q.num = 0;
            q.desc = q.driver = q.device = 0;
            q.ready = false;
            q.vq = null;
            q.callback = null;
        }
        onReset();
    }

    @Override
    public synchronized void getConfig(int offset, ByteBuffer dst) {
        int n = dst.remaining();
        if (offset < 0 || offset + n > config.length || offset + n < 0) {
            throw new ErrnoException(Errno.EINVAL, "config read of " + n + " at " + offset + " past " + config.length);
        }
        dst.put(config, offset, n);
    }

    @Override
    public int getConfigSize() {
        return config.length;
    }

    /** Config is read-only unless a device overrides this. */
    @Override
    public synchronized void setConfig(int offset, ByteBuffer src) {
        throw new ErrnoException(Errno.EINVAL, "config of device " + deviceId + " is read-only");
    }

    @Override
    public synchronized int getGeneration() {
        return generation;
    }
}
