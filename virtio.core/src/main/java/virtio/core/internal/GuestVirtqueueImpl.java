package virtio.core.internal;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;
import virtio.core.GuestVirtqueue;
import virtio.core.Virtio;
import virtio.core.VirtioDeviceOps;
import virtio.core.Virtqueue;

/**
 * The guest driver's side of a split virtqueue (Linux's virtio_ring.c, without event index):
 * rings and one data slot per descriptor in the guest memory of the bus. Its monitor guards
 * the free list and indices; the device is called (kick) without it.
 */
final class GuestVirtqueueImpl implements GuestVirtqueue {
    static final int SLOT = 4096;
    private static final ByteBuffer ZEROES = ByteBuffer.allocate(SLOT).asReadOnlyBuffer();

    private final VirtioDeviceOps device;
    private final VmAddressSpace memory;
    private final int index;
    private final int size;
    private final long desc;
    private final long avail;
    private final long used;
    private final long slots;
    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final Object[] tokens;
    private final int[] chainLength;
    private int availIdx;
    private int lastUsed;

    GuestVirtqueueImpl(VirtioDeviceOps device, VmAddressSpace memory, GuestMemoryAllocator allocator, int index, int size) {
        this.device = device;
        this.memory = memory;
        this.index = index;
        this.size = size;
        this.desc = allocator.allocate((long) Virtqueue.DESC_SIZE * size, 16);
        this.avail = allocator.allocate(6 + 2L * size, 2);
        this.used = allocator.allocate(6 + 8L * size, 4);
        this.slots = allocator.allocate((long) SLOT * size, 4096);
        this.tokens = new Object[size];
        this.chainLength = new int[size];
        for (int i = 0; i < size; i++) {
            free.add(i);
        }
    }

    long descArea() {
        return desc;
    }

    long driverArea() {
        return avail;
    }

    long deviceArea() {
        return used;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public int bufferSize() {
        return SLOT;
    }

    @Override
    public synchronized void add(List<ByteBuffer> out, List<Integer> inLengths, Object token) {
        int n = out.size() + inLengths.size();
        if (n == 0 || token == null) {
            throw new ErrnoException(Errno.EINVAL, "a buffer needs at least one segment and a token");
        }
        for (ByteBuffer b : out) {
            if (b.remaining() > SLOT) {
                throw new ErrnoException(Errno.EINVAL, "buffer of " + b.remaining() + " bytes over " + SLOT);
            }
        }
        for (int l : inLengths) {
            if (l <= 0 || l > SLOT) {
                throw new ErrnoException(Errno.EINVAL, "writable buffer of " + l + " bytes, not 1.." + SLOT);
            }
        }
        if (free.size() < n) {
            throw new ErrnoException(Errno.ENOSPC, "queue " + index + " has " + free.size() + " free descriptors, needs " + n);
        }
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = free.poll();
        }
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            long slot = slots + (long) SLOT * id;
            boolean writable = i >= out.size();
            int length;
            if (writable) {
                length = inLengths.get(i - out.size());
                // A reply buffer starts zeroed, so nothing of an earlier reply shows through.
                memory.write(slot, ZEROES.duplicate().limit(length));
            } else {
                ByteBuffer data = out.get(i).duplicate();
                length = data.remaining();
                memory.write(slot, data);
            }
            long d = desc + (long) Virtqueue.DESC_SIZE * id;
            putLong(d, slot);
            memory.putInt(d + 8, length);
            memory.putShort(d + 12, (i + 1 < n ? Virtio.VRING_DESC_F_NEXT : 0) | (writable ? Virtio.VRING_DESC_F_WRITE : 0));
            memory.putShort(d + 14, i + 1 < n ? ids[i + 1] : 0);
        }
        tokens[ids[0]] = token;
        chainLength[ids[0]] = n;
        memory.putShort(avail + 4 + 2L * (availIdx & (size - 1)), ids[0]);
        availIdx = (availIdx + 1) & 0xffff;
        // The ring entry is in place before the index that publishes it.
        memory.putShort(avail + 2, availIdx);
    }

    private void putLong(long at, long value) {
        memory.putInt(at, (int) value);
        memory.putInt(at + 4, (int) (value >>> 32));
    }

    @Override
    public boolean kick() {
        if (!device.getVqReady(index)) {
            return false;
        }
        device.kickVq(index);
        return true;
    }

    @Override
    public synchronized UsedBuffer poll() {
        int usedIdx = memory.getShort(used + 2);
        if (usedIdx == lastUsed) {
            return null;
        }
        long elem = used + 4 + 8L * (lastUsed & (size - 1));
        int id = memory.getInt(elem);
        int written = memory.getInt(elem + 4);
        lastUsed = (lastUsed + 1) & 0xffff;
        if (id < 0 || id >= size || tokens[id] == null) {
            throw new ErrnoException(Errno.EIO, "device returned unknown buffer " + id + " on queue " + index);
        }
        int writable = 0;
        for (int i = 0, d = id; i < chainLength[id]; i++) {
            long entry = desc + (long) Virtqueue.DESC_SIZE * d;
            if ((memory.getShort(entry + 12) & Virtio.VRING_DESC_F_WRITE) != 0) {
                writable += memory.getInt(entry + 8);
            }
            d = memory.getShort(entry + 14);
        }
        if (Integer.compareUnsigned(written, writable) > 0) {
            throw new ErrnoException(Errno.EIO, "device says it wrote " + Integer.toUnsignedString(written)
                    + " bytes into buffer " + id + " of " + writable + " writable bytes");
        }
        Object token = tokens[id];
        tokens[id] = null;
        ByteBuffer in = ByteBuffer.allocate(written);
        int d = id;
        for (int i = 0; i < chainLength[id]; i++) {
            long entry = desc + (long) Virtqueue.DESC_SIZE * d;
            int flags = memory.getShort(entry + 12);
            if ((flags & Virtio.VRING_DESC_F_WRITE) != 0 && in.hasRemaining()) {
                int length = Math.min(memory.getInt(entry + 8), in.remaining());
                int limit = in.limit();
                in.limit(in.position() + length);
                memory.read(memory.getLong(entry), in);
                in.limit(limit);
            }
            free.add(d);
            d = memory.getShort(entry + 14);
        }
        return new UsedBuffer(token, written, in.array());
    }
}
