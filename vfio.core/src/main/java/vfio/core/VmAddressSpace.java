package vfio.core;

import java.nio.ByteBuffer;
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
 * container. Its monitor is taken before the IOMMU's lock.
 */
public final class VmAddressSpace {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    private static final AtomicLong IDS = new AtomicLong();

    /** A mapped range of the address space. */
    public record Region(long vaddr, long size) {
    }

    private final long id = IDS.incrementAndGet();
    private final String name;
    /** Regions by start address; guarded by {@code this}. */
    private final TreeMap<Long, ByteBuffer> regions = new TreeMap<>();
    /** Regions reached through a {@link VmMemory} (another process's memory), by start address; guarded by {@code this}. */
    private final TreeMap<Long, VmMemory> remote = new TreeMap<>();
    /** The region the last access used, and its start; guarded by {@code this}. */
    private ByteBuffer lastRegion;
    private long regionStart;
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
        lastRegion = null;
        if (regions.remove(vaddr) == null && remote.remove(vaddr) == null) {
            throw new ErrnoException(Errno.EINVAL, "no VM memory region starts at 0x" + Long.toHexString(vaddr));
        }
    }

    /**
     * A view of {@code [vaddr, vaddr + size)}, which must lie in one region: EFAULT otherwise,
     * as get_user_pages fails on unmapped user memory. The view shares the memory.
     */
    public synchronized ByteBuffer view(long vaddr, long size) {
        Map.Entry<Long, ByteBuffer> region = regions.floorEntry(vaddr);
        if (size <= 0 || region == null || vaddr - region.getKey() + size > region.getValue().capacity()) {
            throw new ErrnoException(Errno.EFAULT, "VM " + name + " has no memory at 0x" + Long.toHexString(vaddr)
                    + "+0x" + Long.toHexString(size));
        }
        int offset = (int) (vaddr - region.getKey());
        return region.getValue().slice(offset, (int) size);
    }

    /**
     * Copies {@code dst.remaining()} bytes at {@code vaddr} into {@code dst}; the range must lie
     * in one region (EFAULT otherwise). No allocation: this is on the virtqueue path.
     */
    public synchronized void read(long vaddr, ByteBuffer dst) {
        if (iommu != null) {
            iommu.read(vaddr, dst);
            return;
        }
        int n = dst.remaining();
        Map.Entry<Long, VmMemory> r = remoteFor(vaddr, n);
        if (r != null) {
            r.getValue().read(vaddr - r.getKey(), dst, dst.position(), n);
            dst.position(dst.position() + n);
            return;
        }
        ByteBuffer region = regionFor(vaddr, n);
        dst.put(dst.position(), region, (int) (vaddr - regionStart), n);
        dst.position(dst.position() + n);
    }

    /** Copies {@code src.remaining()} bytes to {@code vaddr}; EFAULT outside one region. */
    public synchronized void write(long vaddr, ByteBuffer src) {
        if (iommu != null) {
            iommu.write(vaddr, src);
            return;
        }
        int n = src.remaining();
        Map.Entry<Long, VmMemory> r = remoteFor(vaddr, n);
        if (r != null) {
            r.getValue().write(vaddr - r.getKey(), src, src.position(), n);
            src.position(src.position() + n);
            return;
        }
        ByteBuffer region = regionFor(vaddr, n);
        region.put((int) (vaddr - regionStart), src, src.position(), n);
        src.position(src.position() + n);
    }

    /** Whether {@code [vaddr, vaddr + length)} lies in one region. */
    public synchronized boolean contains(long vaddr, long length) {
        if (iommu != null) {
            return length >= 0 && iommu.mapped(vaddr, length);
        }
        Map.Entry<Long, ByteBuffer> e = regions.floorEntry(vaddr);
        return length >= 0 && ((e != null && vaddr - e.getKey() + length <= e.getValue().capacity())
                || remoteFor(vaddr, length) != null);
    }

    /** The remote region holding {@code [vaddr, vaddr + n)}, or null (the local path is tried first by callers that care). */
    private Map.Entry<Long, VmMemory> remoteFor(long vaddr, long n) {
        if (iommu != null) {
            return BEHIND_IOMMU;
        }
        if (remote.isEmpty()) {
            return null;
        }
        Map.Entry<Long, VmMemory> r = remote.floorEntry(vaddr);
        return r != null && n >= 0 && vaddr - r.getKey() + n <= r.getValue().size() ? r : null;
    }

    /** A little-endian u16 at {@code vaddr}. */
    public synchronized int getShort(long vaddr) {
        if (remoteFor(vaddr, 2) != null) {
            return Short.toUnsignedInt(remoteBytes(vaddr, 2).getShort(0));
        }
        return Short.toUnsignedInt(Short.reverseBytes(regionFor(vaddr, 2).getShort((int) (vaddr - regionStart))));
    }

    public synchronized void putShort(long vaddr, int value) {
        if (remoteFor(vaddr, 2) != null) {
            write(vaddr, ByteBuffer.allocate(2).order(java.nio.ByteOrder.LITTLE_ENDIAN).putShort(0, (short) value));
            return;
        }
        regionFor(vaddr, 2).putShort((int) (vaddr - regionStart), Short.reverseBytes((short) value));
    }

    /** A little-endian u32 at {@code vaddr}, as an int. */
    public synchronized int getInt(long vaddr) {
        if (remoteFor(vaddr, 4) != null) {
            return remoteBytes(vaddr, 4).getInt(0);
        }
        return Integer.reverseBytes(regionFor(vaddr, 4).getInt((int) (vaddr - regionStart)));
    }

    public synchronized void putInt(long vaddr, int value) {
        if (remoteFor(vaddr, 4) != null) {
            write(vaddr, ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(0, value));
            return;
        }
        regionFor(vaddr, 4).putInt((int) (vaddr - regionStart), Integer.reverseBytes(value));
    }

    /** A little-endian u64 at {@code vaddr}. */
    public synchronized long getLong(long vaddr) {
        if (remoteFor(vaddr, 8) != null) {
            return remoteBytes(vaddr, 8).getLong(0);
        }
        return Long.reverseBytes(regionFor(vaddr, 8).getLong((int) (vaddr - regionStart)));
    }

    /** What remoteFor answers behind an IOMMU: not null, so accessors take the remote path (read/write). */
    private static final Map.Entry<Long, VmMemory> BEHIND_IOMMU = Map.entry(0L, VmMemory.of(ByteBuffer.allocate(0)));

    /** {@code n} little-endian bytes of remote memory (the remote path may allocate: it is a message anyway). */
    private ByteBuffer remoteBytes(long vaddr, int n) {
        ByteBuffer b = ByteBuffer.allocate(n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        read(vaddr, b);
        return b.flip();
    }

    /** The region holding {@code [vaddr, vaddr + n)}, trying the last one first; sets regionStart. */
    private ByteBuffer regionFor(long vaddr, int n) {
        ByteBuffer last = lastRegion;
        if (last != null && vaddr >= regionStart && vaddr - regionStart + n <= last.capacity() && n >= 0) {
            return last;
        }
        Map.Entry<Long, ByteBuffer> e = regions.floorEntry(vaddr);
        if (n < 0 || e == null || vaddr - e.getKey() + n > e.getValue().capacity()) {
            throw new ErrnoException(Errno.EFAULT, "VM " + name + " has no memory at 0x" + Long.toHexString(vaddr)
                    + "+0x" + Integer.toHexString(n));
        }
        lastRegion = e.getValue();
        regionStart = e.getKey();
        return lastRegion;
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
