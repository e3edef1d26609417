package vfio.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The memory of one VM process (the kernel's {@code mm}): page-aligned buffers at virtual
 * addresses. VFIO_IOMMU_MAP_DMA maps IOVA ranges onto it; a container is opened on behalf of
 * one address space, which is also the unit of PASID quota and reclaim.
 *
 * <p>One address space is of another kind: {@link #behindIommu} is guest memory as a device
 * behind a container's IOMMU sees it, by IOVA (what a virtio device offered to a VM as a PCI
 * function uses for its rings). It has no regions of its own; every access goes through the
 * container.
 *
 * <p>Mapping and unmapping take this object's monitor and publish an immutable {@link Layout};
 * accesses (the virtqueue path: indices, ring entries, descriptors) read the layout they find
 * and take no lock.
 */
public final class VmAddressSpace {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    private static final AtomicLong IDS = new AtomicLong();

    /** A mapped range of the address space. */
    public record Region(long vaddr, long size) {
    }

    /**
     * A region of the VM's own memory as of one layout: its start and a little-endian view of all
     * of it (the guest's byte order; a view of its own, made when the layout was; use absolute
     * accesses). Whoever resolves an
     * address once and reaches it several times (a popped descriptor) keeps one of these.
     */
    public record LocalRegion(long vaddr, long size, ByteBuffer memory) {
        /** The view's index of {@code address}, which must lie in the region. */
        public int index(long address) {
            return (int) (address - vaddr);
        }

        /** Whether {@code [address, address + length)} lies in the region. */
        public boolean holds(long address, long length) {
            return address >= vaddr && length >= 0 && address - vaddr <= size - length;
        }
    }

    private final long id = IDS.incrementAndGet();
    private final String name;
    /** Regions by start address; guarded by {@code this}. */
    private final TreeMap<Long, ByteBuffer> regions = new TreeMap<>();
    /** The local regions as one {@link VmMemory} each (what {@link #backing} gives), by start address; guarded by {@code this}. */
    private final TreeMap<Long, VmMemory> localMemories = new TreeMap<>();
    /** Regions reached through a {@link VmMemory} (another process's memory), by start address; guarded by {@code this}. */
    private final TreeMap<Long, VmMemory> remote = new TreeMap<>();
    /** What accesses look in: the regions as of the last change, sorted; replaced whole under {@code this}. */
    private volatile Layout layout = Layout.EMPTY;
    /** Bumped by every map and unmap (after the new layout is published). */
    private volatile int generation;

    /** The regions at one moment, as sorted arrays for a lock-free floor search. */
    private record Layout(long[] starts, long[] sizes, ByteBuffer[] buffers, LocalRegion[] locals, long[] remoteStarts,
            VmMemory[] remotes) {
        static final Layout EMPTY = new Layout(new long[0], new long[0], new ByteBuffer[0], new LocalRegion[0], new long[0],
                new VmMemory[0]);

        /** The index of the local region holding {@code [vaddr, vaddr + n)}, or -1. */
        int local(long vaddr, long n) {
            int i = floor(starts, vaddr);
            return i >= 0 && n >= 0 && vaddr - starts[i] + n <= sizes[i] ? i : -1;
        }

        /** The index of the remote region holding {@code [vaddr, vaddr + n)}, or -1. */
        int remote(long vaddr, long n) {
            int i = floor(remoteStarts, vaddr);
            return i >= 0 && n >= 0 && vaddr - remoteStarts[i] + n <= remotes[i].size() ? i : -1;
        }

        private static int floor(long[] sorted, long key) {
            if (sorted.length <= 4) {
                // a VM has a few regions: a scan from the top beats a search's unpredictable branches
                for (int i = sorted.length - 1; i >= 0; i--) {
                    if (sorted[i] <= key) {
                        return i;
                    }
                }
                return -1;
            }
            int lo = 0;
            int hi = sorted.length - 1;
            while (lo <= hi) {
                int mid = (lo + hi) >>> 1;
                if (sorted[mid] <= key) {
                    lo = mid + 1;
                } else {
                    hi = mid - 1;
                }
            }
            return hi;
        }
    }

    /** Publishes the regions as they are now; called under {@code this} after each change. */
    private void publish() {
        long[] starts = regions.keySet().stream().mapToLong(Long::longValue).toArray();
        ByteBuffer[] buffers = regions.values().toArray(ByteBuffer[]::new);
        long[] sizes = new long[buffers.length];
        LocalRegion[] locals = new LocalRegion[buffers.length];
        for (int i = 0; i < buffers.length; i++) {
            sizes[i] = buffers[i].capacity();
            locals[i] = new LocalRegion(starts[i], sizes[i], buffers[i].duplicate().clear().order(ByteOrder.LITTLE_ENDIAN));
        }
        long[] remoteStarts = remote.keySet().stream().mapToLong(Long::longValue).toArray();
        VmMemory[] remotes = remote.values().toArray(VmMemory[]::new);
        layout = new Layout(starts, sizes, buffers, locals, remoteStarts, remotes);
        generation++;
    }

    /**
     * A number that changes whenever a region is mapped or unmapped: whoever keeps a
     * {@link #view} for speed (a virtqueue its rings) checks it per use and takes the view again
     * when it moved, so an unmapped region is not reached through an old view.
     */
    public int generation() {
        return generation;
    }
    /** For an address space behind an IOMMU: the container's DMA access; null otherwise. */
    private final VfioDma iommu;

    public VmAddressSpace(String name) {
        this(name, null);
    }

    private VmAddressSpace(String name, VfioDma iommu) {
        this.name = name;
        this.iommu = iommu;
    }

    /**
     * Guest memory as a device behind {@code dma}'s IOMMU reaches it: addresses are IOVAs of
     * that container (guest-physical addresses for a VMM that maps guest RAM at its physical
     * addresses, as QEMU does). Reads and writes go through the container: EFAULT where nothing
     * is mapped, EPERM against the mapping's protection, ENODEV once the container is gone.
     * It maps nothing itself: allocate, attach and memory answer EINVAL, view EFAULT.
     */
    public static VmAddressSpace behindIommu(String name, VfioDma dma) {
        return new VmAddressSpace(name, java.util.Objects.requireNonNull(dma));
    }

    private void requireOwnMemory() {
        if (iommu != null) {
            throw new ErrnoException(Errno.EINVAL, this + " is guest memory behind an IOMMU: it maps nothing itself");
        }
    }

    /** A number unique to this address space in this JVM. */
    public long id() {
        return id;
    }

    public String name() {
        return name;
    }

    /**
     * Maps {@code size} bytes of fresh zeroed memory at {@code vaddr} (mmap with MAP_FIXED on
     * a free range). EINVAL for unaligned or empty ranges and ranges over 2 GiB; EEXIST over
     * memory already mapped.
     */
    public synchronized ByteBuffer allocate(long vaddr, long size) {
        requireOwnMemory();
        checkFree(vaddr, size);
        ByteBuffer memory = ByteBuffer.allocate((int) size);
        regions.put(vaddr, memory);
        localMemories.put(vaddr, VmMemory.of(memory));
        publish();
        return memory.duplicate();
    }

    /**
     * Maps {@code memory} (its whole capacity, which must be a whole number of pages) at
     * {@code vaddr}: the mmap of a file another process shares, such as a vfio-user client's
     * guest memory. The same checks as {@link #allocate}.
     */
    public synchronized void attach(long vaddr, ByteBuffer memory) {
        requireOwnMemory();
        checkFree(vaddr, memory.capacity());
        regions.put(vaddr, memory.duplicate().clear());
        localMemories.put(vaddr, VmMemory.of(memory));
        publish();
    }

    /**
     * Maps memory that lives elsewhere at {@code vaddr}: accesses go to {@code memory} (the
     * messages of a vfio-user connection, say). {@link #view} cannot reach it; {@link #memory},
     * {@link #read} and {@link #write} can. The same checks as {@link #allocate}.
     */
    public synchronized void attach(long vaddr, VmMemory memory) {
        requireOwnMemory();
        checkFree(vaddr, memory.size());
        remote.put(vaddr, memory);
        publish();
    }

    /**
     * The memory of {@code [vaddr, vaddr + size)}, which must lie in one region (EFAULT
     * otherwise): what an IOMMU mapping keeps to reach it.
     */
    public synchronized VmMemory memory(long vaddr, long size) {
        requireOwnMemory();
        Map.Entry<Long, VmMemory> r = remote.floorEntry(vaddr);
        if (size > 0 && r != null && vaddr - r.getKey() + size <= r.getValue().size()) {
            return r.getValue().slice(vaddr - r.getKey(), size);
        }
        return VmMemory.of(view(vaddr, size));
    }

    /**
     * The region's memory and an address's offset in it: the memory is the same object for every
     * range of one region as long as the region is mapped.
     */
    public record Backing(VmMemory memory, long offset) {
    }

    /**
     * The memory of the region holding {@code [vaddr, vaddr + size)} as a whole, with
     * {@code vaddr}'s offset in it: what an IOMMU's page table points into, so that its entries
     * can name a few shared objects rather than one per mapping. EFAULT as {@link #memory}.
     */
    public synchronized Backing backing(long vaddr, long size) {
        requireOwnMemory();
        Map.Entry<Long, VmMemory> r = remote.floorEntry(vaddr);
        if (size > 0 && r != null && vaddr - r.getKey() + size <= r.getValue().size()) {
            return new Backing(r.getValue(), vaddr - r.getKey());
        }
        view(vaddr, size);   // EFAULT unless one local region holds the range
        Map.Entry<Long, VmMemory> l = localMemories.floorEntry(vaddr);
        return new Backing(l.getValue(), vaddr - l.getKey());
    }

    private void checkFree(long vaddr, long size) {
        if (size <= 0 || size > Integer.MAX_VALUE - PAGE_SIZE + 1 || ((vaddr | size) & (PAGE_SIZE - 1)) != 0
                || vaddr < 0 || vaddr + size < 0) {
            throw new ErrnoException(Errno.EINVAL, "bad VM memory range 0x" + Long.toHexString(vaddr) + "+0x"
                    + Long.toHexString(size) + " (page-aligned, 1 page .. 2 GiB)");
        }
        Map.Entry<Long, ByteBuffer> below = regions.floorEntry(vaddr + size - 1);
        Map.Entry<Long, VmMemory> remoteBelow = remote.floorEntry(vaddr + size - 1);
        if ((below != null && below.getKey() + below.getValue().capacity() > vaddr)
                || (remoteBelow != null && remoteBelow.getKey() + remoteBelow.getValue().size() > vaddr)) {
            throw new ErrnoException(Errno.EEXIST, "VM memory overlaps 0x" + Long.toHexString(vaddr) + "+0x"
                    + Long.toHexString(size));
        }
    }

    /** Unmaps the region that starts at {@code vaddr}; EINVAL if none does. */
    public synchronized void free(long vaddr) {
        localMemories.remove(vaddr);
        if (regions.remove(vaddr) == null && remote.remove(vaddr) == null) {
            throw new ErrnoException(Errno.EINVAL, "no VM memory region starts at 0x" + Long.toHexString(vaddr));
        }
        publish();
    }

    /**
     * A view of {@code [vaddr, vaddr + size)}, which must lie in one region: EFAULT otherwise,
     * as get_user_pages fails on unmapped user memory. The view shares the memory.
     */
    public ByteBuffer view(long vaddr, long size) {
        Layout l = layout;
        int i = size <= 0 ? -1 : l.local(vaddr, size);
        if (i < 0) {
            throw new ErrnoException(Errno.EFAULT, "VM " + name + " has no memory at 0x" + Long.toHexString(vaddr)
                    + "+0x" + Long.toHexString(size));
        }
        return l.buffers[i].slice((int) (vaddr - l.starts[i]), (int) size);
    }

    /**
     * Copies {@code dst.remaining()} bytes at {@code vaddr} into {@code dst}; the range must lie
     * in one region (EFAULT otherwise). No allocation: this is on the virtqueue path.
     */
    public void read(long vaddr, ByteBuffer dst) {
        if (iommu != null) {
            iommu.read(vaddr, dst);
            return;
        }
        int n = dst.remaining();
        Layout l = layout;
        int r = l.remote(vaddr, n);
        if (r >= 0) {
            l.remotes[r].read(vaddr - l.remoteStarts[r], dst, dst.position(), n);
            dst.position(dst.position() + n);
            return;
        }
        int i = local(l, vaddr, n);
        dst.put(dst.position(), l.buffers[i], (int) (vaddr - l.starts[i]), n);
        dst.position(dst.position() + n);
    }

    /** Copies {@code src.remaining()} bytes to {@code vaddr}; EFAULT outside one region. */
    public void write(long vaddr, ByteBuffer src) {
        if (iommu != null) {
            iommu.write(vaddr, src);
            return;
        }
        int n = src.remaining();
        Layout l = layout;
        int r = l.remote(vaddr, n);
        if (r >= 0) {
            l.remotes[r].write(vaddr - l.remoteStarts[r], src, src.position(), n);
            src.position(src.position() + n);
            return;
        }
        int i = local(l, vaddr, n);
        l.buffers[i].put((int) (vaddr - l.starts[i]), src, src.position(), n);
        src.position(src.position() + n);
    }

    /**
     * The region of the VM's own memory holding {@code [vaddr, vaddr + length)}, or null when the
     * range is not in one such region (unmapped, another process's memory, behind an IOMMU). No
     * allocation: the regions are made when the memory is mapped.
     */
    public LocalRegion localRegion(long vaddr, long length) {
        if (iommu != null) {
            return null;
        }
        Layout l = layout;
        int i = l.local(vaddr, length);
        return i < 0 ? null : l.locals[i];
    }

    /** Whether {@code [vaddr, vaddr + length)} lies in one region. */
    public boolean contains(long vaddr, long length) {
        if (iommu != null) {
            return length >= 0 && iommu.mapped(vaddr, length);
        }
        Layout l = layout;
        return length >= 0 && (l.local(vaddr, length) >= 0 || l.remote(vaddr, length) >= 0);
    }

    /** The index of the local region of {@code l} holding {@code [vaddr, vaddr + n)}; EFAULT if none. */
    private int local(Layout l, long vaddr, long n) {
        int i = l.local(vaddr, n);
        if (i < 0) {
            throw new ErrnoException(Errno.EFAULT, "VM " + name + " has no memory at 0x" + Long.toHexString(vaddr)
                    + "+0x" + Long.toHexString(n));
        }
        return i;
    }

    /** A little-endian u16 at {@code vaddr}. */
    public int getShort(long vaddr) {
        Layout l = layout;   // read once: the access below uses the layout it checked
        int i = iommu == null ? l.local(vaddr, 2) : -1;
        if (i < 0) {
            return Short.toUnsignedInt(remoteBytes(vaddr, 2).getShort(0));
        }
        return Short.toUnsignedInt(Short.reverseBytes(l.buffers[i].getShort((int) (vaddr - l.starts[i]))));
    }

    public void putShort(long vaddr, int value) {
        Layout l = layout;
        int i = iommu == null ? l.local(vaddr, 2) : -1;
        if (i < 0) {
            write(vaddr, ByteBuffer.allocate(2).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(0, (short) value));
            return;
        }
        l.buffers[i].putShort((int) (vaddr - l.starts[i]), Short.reverseBytes((short) value));
    }

    /** A little-endian u32 at {@code vaddr}, as an int. */
    public int getInt(long vaddr) {
        Layout l = layout;
        int i = iommu == null ? l.local(vaddr, 4) : -1;
        if (i < 0) {
            return remoteBytes(vaddr, 4).getInt(0);
        }
        return Integer.reverseBytes(l.buffers[i].getInt((int) (vaddr - l.starts[i])));
    }

    public void putInt(long vaddr, int value) {
        Layout l = layout;
        int i = iommu == null ? l.local(vaddr, 4) : -1;
        if (i < 0) {
            write(vaddr, ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, value));
            return;
        }
        l.buffers[i].putInt((int) (vaddr - l.starts[i]), Integer.reverseBytes(value));
    }

    /** A little-endian u64 at {@code vaddr}. */
    public long getLong(long vaddr) {
        Layout l = layout;
        int i = iommu == null ? l.local(vaddr, 8) : -1;
        if (i < 0) {
            return remoteBytes(vaddr, 8).getLong(0);
        }
        return Long.reverseBytes(l.buffers[i].getLong((int) (vaddr - l.starts[i])));
    }

    /** {@code n} little-endian bytes of remote memory (the remote path may allocate: it is a message anyway). */
    private ByteBuffer remoteBytes(long vaddr, int n) {
        ByteBuffer b = ByteBuffer.allocate(n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        read(vaddr, b);
        return b.flip();
    }

    public synchronized List<Region> regions() {
        List<Region> list = new ArrayList<>();
        regions.forEach((vaddr, memory) -> list.add(new Region(vaddr, memory.capacity())));
        remote.forEach((vaddr, memory) -> list.add(new Region(vaddr, memory.size())));
        list.sort(java.util.Comparator.comparingLong(Region::vaddr));
        return list;
    }

    @Override
    public String toString() {
        return "VM " + name;
    }
}
