package vfio.type1.internal;

import static vfio.type1.internal.PlatformIommu.PAGE_SHIFT;
import static vfio.type1.internal.PlatformIommu.PAGE_SIZE;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.IommuUapiCodec;
import vfio.core.Vfio;
import vfio.core.VfioDma;
import vfio.core.VfioDmaUnmapListener;
import vfio.core.VfioIommu;
import vfio.core.VfioIommuGroup;
import vfio.core.VfioIommuInfo;
import vfio.core.VfioType1Codec;
import vfio.core.VmAddressSpace;
import vfio.core.VmMemory;
import vfio.type1.IommuModel;

/**
 * The type1 IOMMU of one container (struct vfio_iommu): DMA mappings of the VM's memory by
 * IOVA, kept in a tree ordered by IOVA (unsigned) for map, unmap and their range checks, and
 * in a radix index by IOVA page ({@link IovaIndex}) for translation, whose cost does not grow
 * with the number of mappings; and the pins mdev vendors hold on them.
 *
 * <p>{@code lock} is the kernel's iommu->lock; unmap listeners are called without it, since
 * they unpin through this same object.
 */
final class Type1Iommu implements VfioIommu, VfioDma {
    /** The dma_entry_limit module parameter's default (U16_MAX). */
    static final int DMA_ENTRY_LIMIT = 65535;
    /** How often an unmap tells listeners before giving up on pages they keep pinned. */
    private static final int UNPIN_RETRIES = 10;

    private final boolean v2;
    private final boolean nesting;
    private final VmAddressSpace vm;
    private final PlatformModel model;
    /** PASID tracking of this container's VM (seed 002's iommu->vmm). */
    private final VfioMm vmm;
    private final Runnable onRelease;
    /** The container's IOMMU domains (domain_list): those of its IOMMU-backed mdevs. */
    private final List<PlatformModel.DomainState> domains = new ArrayList<>();
    /** Which domain each IOMMU-backed mdev of each group is attached to, by group. */
    private final Map<Integer, List<Map.Entry<PlatformModel.DomainState, String>>> auxAttachments = new java.util.HashMap<>();
    private final ReentrantLock lock = new ReentrantLock();
    /** Mappings by IOVA; guarded by lock. */
    private final TreeMap<Long, DmaMapping> dmas = new TreeMap<>(Long::compareUnsigned);
    /** The same mappings by IOVA page, for translation; guarded by lock. */
    private final IovaIndex index = new IovaIndex();
    /**
     * The VM regions mappings point into, by the index their page table entries name (few: one
     * per region, however many mappings), with the number of mappings using each; guarded by
     * {@code lock}.
     */
    private VmMemory[] backings = new VmMemory[8];
    private int[] backingUsers = new int[8];
    private int dmaAvail;
    private final List<VfioIommuGroup> groups = new ArrayList<>();
    private final List<VfioDmaUnmapListener> listeners = new CopyOnWriteArrayList<>();
    private boolean released;
    /** The mapping the last DMA access went to; guarded by lock, cleared when mappings go. */
    private DmaMapping lastHit;

    Type1Iommu(int type, VmAddressSpace vm, PlatformModel model, Runnable onRelease) {
        this(type, vm, model, DMA_ENTRY_LIMIT, onRelease);
    }

    /** With another dma_entry_limit, as the module parameter allows. */
    Type1Iommu(int type, VmAddressSpace vm, PlatformModel model, int dmaEntryLimit, Runnable onRelease) {
        this.dmaAvail = dmaEntryLimit;
        this.v2 = type != Vfio.VFIO_TYPE1_IOMMU;
        this.nesting = type == Vfio.VFIO_TYPE1_NESTING_IOMMU;
        this.vm = vm;
        this.model = model;
        this.vmm = model.mms.get(vm);
        this.onRelease = onRelease;
    }

    private void checkLive() {
        if (released) {
            throw new ErrnoException(Errno.ENODEV, "the type1 IOMMU of " + vm + " has been released");
        }
    }

    // ---- container side -------------------------------------------------------------------

    @Override
    public void attachGroup(VfioIommuGroup group) {
        lock.lock();
        try {
            checkLive();
            for (VfioIommuGroup g : groups) {
                if (g.id() == group.id()) {
                    throw new ErrnoException(Errno.EINVAL, "group " + group.id() + " is already attached");
                }
            }
            List<Map.Entry<PlatformModel.DomainState, String>> attached = new ArrayList<>();
            for (vfio.core.VfioDevice device : group.devices()) {
                device.iommuDevice().ifPresent(physical -> attached.add(attachAux(physical, device.name())));
            }
            auxAttachments.put(group.id(), attached);
            groups.add(group);
        } finally {
            lock.unlock();
        }
    }

    /**
     * vfio_mdev_attach_domain for an IOMMU-backed mdev: an aux domain on its parent's physical
     * device, shared with the container's other devices whose IOMMU has the same format.
     */
    private Map.Entry<PlatformModel.DomainState, String> attachAux(String physical, String mdev) {
        int format = model.formatOf(physical);
        PlatformModel.DomainState domain = null;
        for (PlatformModel.DomainState d : domains) {
            if (d.pasidFormat == format) {
                domain = d;
            }
        }
        if (domain == null) {
            domain = model.newDomain(nesting, format);
            domains.add(domain);
        }
        model.attach(domain, physical, true, mdev);
        return Map.entry(domain, mdev);
    }

    @Override
    public void detachGroup(VfioIommuGroup group) {
        lock.lock();
        try {
            groups.removeIf(g -> g.id() == group.id());
            detachAux(group.id());
        } finally {
            lock.unlock();
        }
    }

    private void detachAux(int groupId) {
        List<Map.Entry<PlatformModel.DomainState, String>> attached = auxAttachments.remove(groupId);
        if (attached == null) {
            return;
        }
        for (Map.Entry<PlatformModel.DomainState, String> a : attached) {
            model.detach(a.getKey(), a.getValue());
            if (a.getKey().devices.isEmpty()) {
                domains.remove(a.getKey());
            }
        }
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg) {
        if (cmd == Vfio.VFIO_IOMMU_GET_INFO) {
            lock.lock();
            try {
                checkLive();
                VfioType1Codec.putInfo(arg, new VfioIommuInfo(0, PlatformIommu.PGSIZE_BITMAP,
                        PlatformIommu.IOVA_RANGES, nesting ? pasidFormat() : 0));
                return 0;
            } finally {
                lock.unlock();
            }
        }
        if (cmd == Vfio.VFIO_IOMMU_MAP_DMA) {
            VfioType1Codec.DmaMap map = VfioType1Codec.decodeMap(arg);
            map(map.iova(), map.size(), map.vaddr(), map.flags());
            return 0;
        }
        if (cmd == Vfio.VFIO_IOMMU_UNMAP_DMA) {
            long[] unmap = VfioType1Codec.decodeUnmap(arg);
            VfioType1Codec.putUnmapped(arg, unmap(unmap[0], unmap[1]));
            return 0;
        }
        if (cmd == Vfio.VFIO_IOMMU_PASID_REQUEST) {
            VfioType1Codec.PasidRequest request = VfioType1Codec.decodePasidRequest(arg);
            lock.lock();
            try {
                checkLive();
                requireDomain();
                if (request.alloc()) {
                    int pasid = vmm.alloc(request.min(), request.max());
                    VfioType1Codec.putPasidResult(arg, pasid);
                } else {
                    requireOwned(request.pasid());
                    // What is bound to the PASID goes before the PASID does.
                    model.unbindPasid(request.pasid());
                    vmm.free(request.pasid());
                }
                return 0;
            } finally {
                lock.unlock();
            }
        }
        if (cmd == Vfio.VFIO_IOMMU_SET_PASID_QUOTA) {
            long quota = VfioType1Codec.decodeQuota(arg);
            lock.lock();
            try {
                checkLive();
                return vmm.setQuota(quota);
            } finally {
                lock.unlock();
            }
        }
        if (cmd == Vfio.VFIO_IOMMU_BIND) {
            IommuUapiCodec.Bind bind = IommuUapiCodec.decodeBind(arg);
            lock.lock();
            try {
                checkLive();
                requireDomain();
                requireOwned(bind.data().hpasid());
                if (bind.bind()) {
                    bindGpasid(bind.data());
                } else {
                    unbindGpasid(bind.data().hpasid());
                }
                return 0;
            } finally {
                lock.unlock();
            }
        }
        if (cmd == Vfio.VFIO_IOMMU_CACHE_INVALIDATE) {
            IommuUapiCodec.CacheInvalidate info = IommuUapiCodec.decodeCacheInvalidate(arg);
            lock.lock();
            try {
                checkLive();
                requireDomain();
                if (namesPasid(info)) {
                    requireOwned(info.pasid());   // VM A must not flush VM B's PASID
                }
                for (PlatformModel.DomainState d : domains) {
                    for (IommuModel.Attachment at : physicalDevices(d)) {
                        model.invalidate(d, at, info);
                    }
                }
                return 0;
            } finally {
                lock.unlock();
            }
        }
        throw new ErrnoException(Errno.ENOTTY, "unknown type1 ioctl 0x" + Integer.toHexString(cmd));
    }

    /**
     * Whether an invalidation is for one PASID: PASID- or address-selective with the PASID flag
     * (IOMMU_INV_PASID_FLAGS_PASID, IOMMU_INV_ADDR_FLAGS_PASID, both bit 0 of iommu.h's info).
     */
    private static boolean namesPasid(IommuUapiCodec.CacheInvalidate info) {
        return info.granularity() != IommuUapiCodec.IOMMU_INV_GRANU_DOMAIN && (info.flags() & 1) != 0;
    }

    /** Only a PASID this container's VM owns: ENOENT if nobody does, EACCES if another VM does. */
    private void requireOwned(long pasid) {
        if (pasid < 0 || pasid > IoasidAllocator.PASID_MAX || !vmm.owns((int) pasid)) {
            boolean allocated = pasid >= 0 && pasid <= IoasidAllocator.PASID_MAX && model.allocator.owner((int) pasid) != null;
            throw new ErrnoException(allocated ? Errno.EACCES : Errno.ENOENT, "PASID " + pasid
                    + (allocated ? " belongs to another VM" : " is not allocated"));
        }
    }

    /**
     * vfio_iommu_type1_bind_gpasid: binds on every device of every domain (for an IOMMU-backed
     * mdev, its parent's physical device with the aux domain, seed 002 patch 8). A failure
     * part-way unbinds what this call bound, and only that.
     */
    private void bindGpasid(IommuUapiCodec.GpasidBind data) {
        List<Map.Entry<PlatformModel.DomainState, IommuModel.Attachment>> done = new ArrayList<>();
        try {
            for (PlatformModel.DomainState d : domains) {
                for (IommuModel.Attachment at : physicalDevices(d)) {
                    model.bindGpasid(d, at, data);
                    done.add(Map.entry(d, at));
                }
            }
        } catch (ErrnoException e) {
            for (Map.Entry<PlatformModel.DomainState, IommuModel.Attachment> bound : done) {
                model.unbindGpasid(bound.getKey(), bound.getValue(), data.hpasid());
            }
            throw e;
        }
    }

    /** vfio_iommu_type1_unbind_gpasid: EINVAL if the PASID is bound on none of our devices. */
    private void unbindGpasid(long hpasid) {
        boolean any = false;
        for (PlatformModel.DomainState d : domains) {
            for (IommuModel.Attachment at : physicalDevices(d)) {
                any |= model.unbindGpasid(d, at, hpasid);
            }
        }
        if (!any) {
            throw new ErrnoException(Errno.EINVAL, "PASID " + hpasid + " is not bound in this container");
        }
    }

    /**
     * One attachment per physical device of a domain: mdevs of one parent share its aux domain
     * on that device, and a bind or invalidation reaches the device once.
     */
    private List<IommuModel.Attachment> physicalDevices(PlatformModel.DomainState domain) {
        List<IommuModel.Attachment> distinct = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (IommuModel.Attachment at : model.attachments(domain)) {
            if (seen.add(at.physicalDevice())) {
                distinct.add(at);
            }
        }
        return distinct;
    }

    /** PASIDs need an IOMMU domain in the container (IS_IOMMU_CAP_DOMAIN_IN_CONTAINER). */
    private void requireDomain() {
        if (domains.isEmpty()) {
            throw new ErrnoException(Errno.EINVAL, "container of " + vm
                    + " has no IOMMU domain: PASIDs need an IOMMU-backed device in it");
        }
    }

    /**
     * vfio_iommu_get_pasid_format: the one stage-1 format of the container's domains; 0 with no
     * domain (no nesting cap then, where the RFC failed GET_INFO); EINVAL if domains disagree.
     */
    private int pasidFormat() {
        int format = 0;
        for (PlatformModel.DomainState d : domains) {
            if (format != 0 && d.pasidFormat != format) {
                throw new ErrnoException(Errno.EINVAL, "the container's IOMMU domains have different PASID formats "
                        + format + " and " + d.pasidFormat);
            }
            format = d.pasidFormat;
        }
        return format;
    }

    /** vfio_dma_do_map. */
    void map(long iova, long size, long vaddr, int flags) {
        int prot = ((flags & Vfio.VFIO_DMA_MAP_FLAG_READ) != 0 ? IOMMU_READ : 0)
                | ((flags & Vfio.VFIO_DMA_MAP_FLAG_WRITE) != 0 ? IOMMU_WRITE : 0);
        long mask = PAGE_SIZE - 1;
        if (prot == 0 || size == 0 || ((size | iova | vaddr) & mask) != 0) {
            throw new ErrnoException(Errno.EINVAL, "DMA map of 0x" + Long.toHexString(vaddr) + " at iova 0x"
                    + Long.toHexString(iova) + " size 0x" + Long.toHexString(size)
                    + " needs READ and/or WRITE and page alignment");
        }
        if (Long.compareUnsigned(iova + size - 1, iova) < 0 || Long.compareUnsigned(vaddr + size - 1, vaddr) < 0) {
            throw new ErrnoException(Errno.EINVAL, "DMA map at iova 0x" + Long.toHexString(iova) + " size 0x"
                    + Long.toHexString(size) + " wraps around");
        }
        lock.lock();
        try {
            checkLive();
            DmaMapping existing = find(iova, size);
            if (existing != null) {
                throw new ErrnoException(Errno.EEXIST, "iova 0x" + Long.toHexString(iova) + " size 0x"
                        + Long.toHexString(size) + " overlaps the mapping at 0x" + Long.toHexString(existing.iova));
            }
            if (dmaAvail == 0) {
                throw new ErrnoException(Errno.ENOSPC, "dma_entry_limit of " + DMA_ENTRY_LIMIT + " mappings reached");
            }
            if (!PlatformIommu.iovaValid(iova, iova + size - 1)) {
                throw new ErrnoException(Errno.EINVAL, "iova 0x" + Long.toHexString(iova) + " size 0x"
                        + Long.toHexString(size) + " is outside the IOVA ranges");
            }
            VmAddressSpace.Backing backing = vm.backing(vaddr, size);   // one lookup: the region, and the range in it
            VmMemory memory = backing.memory().slice(backing.offset(), size);
            DmaMapping dma = new DmaMapping(iova, size, vaddr, prot, memory, useBacking(backing.memory()),
                    backing.offset());
            dmas.put(iova, dma);
            index.put(dma);
            dmaAvail--;
        } finally {
            lock.unlock();
        }
    }

    /** vfio_dma_do_unmap with v2 rules; returns the size unmapped. */
    long unmap(long iova, long size) {
        long mask = PAGE_SIZE - 1;
        if ((iova & mask) != 0 || size == 0 || (size & mask) != 0
                || Long.compareUnsigned(iova + size - 1, iova) < 0) {
            throw new ErrnoException(Errno.EINVAL, "DMA unmap at iova 0x" + Long.toHexString(iova) + " size 0x"
                    + Long.toHexString(size) + " needs page alignment and no wrap");
        }
        long last = iova + size - 1;
        for (int attempt = 0;; attempt++) {
            List<DmaMapping> pinnedOnes = new ArrayList<>();
            lock.lock();
            try {
                checkLive();
                DmaMapping first = find(iova, 1);
                if (first != null && first.iova != iova) {
                    throw new ErrnoException(Errno.EINVAL, "iova 0x" + Long.toHexString(iova)
                            + " is inside the mapping at 0x" + Long.toHexString(first.iova) + ": no partial unmap");
                }
                DmaMapping end = find(last, 1);
                if (end != null && end.last() != last) {
                    throw new ErrnoException(Errno.EINVAL, "the end 0x" + Long.toHexString(last)
                            + " is inside the mapping at 0x" + Long.toHexString(end.iova) + ": no partial unmap");
                }
                Map<Long, DmaMapping> inRange = range(iova, last);
                for (DmaMapping dma : inRange.values()) {
                    if (!dma.pinned.isEmpty()) {
                        pinnedOnes.add(dma);
                    }
                }
                if (pinnedOnes.isEmpty()) {
                    long unmapped = 0;
                    lastHit = null;
                    for (DmaMapping dma : new ArrayList<>(inRange.values())) {
                        dmas.remove(dma.iova);
                        index.remove(dma);
                        if (--backingUsers[dma.backingIndex] == 0) {
                            backings[dma.backingIndex] = null;
                        }
                        dmaAvail++;
                        unmapped += dma.size;
                    }
                    return unmapped;
                }
                if (attempt >= UNPIN_RETRIES) {
                    throw new ErrnoException(Errno.EBUSY, "pages at iova 0x" + Long.toHexString(pinnedOnes.get(0).iova)
                            + " stay pinned after " + UNPIN_RETRIES + " unmap notifications");
                }
            } finally {
                lock.unlock();
            }
            // VFIO_IOMMU_NOTIFY_DMA_UNMAP, without the lock: listeners unpin through us.
            for (DmaMapping dma : pinnedOnes) {
                for (VfioDmaUnmapListener listener : listeners) {
                    listener.dmaUnmapped(dma.iova, dma.size);
                }
            }
        }
    }

    /** The index of {@code memory} in the table of backings, counting one more mapping on it; under the lock. */
    private int useBacking(VmMemory memory) {
        int free = -1;
        for (int i = 0; i < backings.length; i++) {
            if (backings[i] == memory) {
                backingUsers[i]++;
                return i;
            }
            if (backings[i] == null && free < 0) {
                free = i;
            }
        }
        if (free < 0) {
            free = backings.length;
            backings = java.util.Arrays.copyOf(backings, free * 2);
            backingUsers = java.util.Arrays.copyOf(backingUsers, free * 2);
        }
        backings[free] = memory;
        backingUsers[free] = 1;
        return free;
    }

    /** The mapping overlapping {@code [start, start + size)} (vfio_find_dma), or null. */
    private DmaMapping find(long start, long size) {
        Map.Entry<Long, DmaMapping> e = dmas.floorEntry(start + size - 1);
        return e != null && Long.compareUnsigned(e.getValue().last(), start) >= 0 ? e.getValue() : null;
    }

    /**
     * The mapping holding {@code iova}, trying the one the last access hit first: device DMA
     * is mostly local (rings, buffers), so most translations skip the tree.
     */
    private DmaMapping translate(long iova) {
        DmaMapping last = lastHit;
        if (last != null && last.contains(iova)) {
            return last;
        }
        DmaMapping found = index.find(iova);
        if (found != null) {
            lastHit = found;
        }
        return found;
    }

    /** Mappings that start within {@code [first, last]}. */
    private Map<Long, DmaMapping> range(long first, long last) {
        return dmas.subMap(first, true, last, true);
    }

    @Override
    public VfioDma dma() {
        return this;
    }

    @Override
    public void release() {
        lock.lock();
        try {
            if (released) {
                return;
            }
            released = true;
            lastHit = null;
            dmas.clear();
            index.clear();
            java.util.Arrays.fill(backings, null);
            java.util.Arrays.fill(backingUsers, 0);
            for (VfioIommuGroup group : groups) {
                detachAux(group.id());
            }
            groups.clear();
            listeners.clear();
        } finally {
            lock.unlock();
        }
        // The VM's last container reclaims its PASIDs (seed 002 patch 3).
        model.mms.put(vmm, reclaimed -> reclaimed.pasids().forEach(model::unbindPasid));
        onRelease.run();
    }

    // ---- vendor side (VfioDma) ------------------------------------------------------------

    @Override
    public long[] pinPages(long[] userPfns, int prot) {
        if (userPfns == null || userPfns.length == 0 || prot == 0 || (prot & ~(IOMMU_READ | IOMMU_WRITE)) != 0) {
            throw new ErrnoException(Errno.EINVAL, "pin needs pages and a READ/WRITE protection, prot " + prot);
        }
        if (userPfns.length > PIN_PAGES_MAX_ENTRIES) {
            throw new ErrnoException(Errno.E2BIG, userPfns.length + " pages in one pin, at most " + PIN_PAGES_MAX_ENTRIES);
        }
        if (!v2) {
            throw new ErrnoException(Errno.EACCES, "pinning needs a type1v2 IOMMU");
        }
        lock.lock();
        try {
            checkLive();
            if (listeners.isEmpty()) {
                throw new ErrnoException(Errno.EINVAL, "register a DMA unmap listener before pinning");
            }
            DmaMapping[] found = new DmaMapping[userPfns.length];
            for (int i = 0; i < userPfns.length; i++) {
                long iova = pageIova(userPfns[i]);
                DmaMapping dma = find(iova, PAGE_SIZE);
                if (dma == null) {
                    throw new ErrnoException(Errno.EINVAL, "no DMA mapping at iova 0x" + Long.toHexString(iova));
                }
                if ((dma.prot & prot) != prot) {
                    throw new ErrnoException(Errno.EPERM, "the mapping at iova 0x" + Long.toHexString(dma.iova)
                            + " does not allow prot " + prot);
                }
                found[i] = dma;
            }
            long[] hostPfns = new long[userPfns.length];
            for (int i = 0; i < userPfns.length; i++) {
                long iova = userPfns[i] << PAGE_SHIFT;
                found[i].pinned.merge(iova, 1, Integer::sum);
                hostPfns[i] = (found[i].vaddr + (iova - found[i].iova)) >>> PAGE_SHIFT;
            }
            return hostPfns;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int unpinPages(long[] userPfns) {
        if (userPfns == null || userPfns.length == 0) {
            throw new ErrnoException(Errno.EINVAL, "unpin needs pages");
        }
        if (userPfns.length > PIN_PAGES_MAX_ENTRIES) {
            throw new ErrnoException(Errno.E2BIG, userPfns.length + " pages in one unpin, at most " + PIN_PAGES_MAX_ENTRIES);
        }
        if (!v2) {
            throw new ErrnoException(Errno.EACCES, "pinning needs a type1v2 IOMMU");
        }
        lock.lock();
        try {
            checkLive();
            DmaMapping[] found = new DmaMapping[userPfns.length];
            for (int i = 0; i < userPfns.length; i++) {
                long iova = pageIova(userPfns[i]);
                found[i] = find(iova, PAGE_SIZE);
                if (found[i] == null) {
                    throw new ErrnoException(Errno.EINVAL, "no DMA mapping at iova 0x" + Long.toHexString(iova));
                }
            }
            for (int i = 0; i < userPfns.length; i++) {
                found[i].pinned.computeIfPresent(userPfns[i] << PAGE_SHIFT, (k, n) -> n > 1 ? n - 1 : null);
            }
            return userPfns.length;
        } finally {
            lock.unlock();
        }
    }

    private static long pageIova(long pfn) {
        if (pfn < 0 || pfn > (PlatformIommu.APERTURE_END >>> PAGE_SHIFT)) {
            throw new ErrnoException(Errno.EINVAL, "page number 0x" + Long.toHexString(pfn) + " is outside the IOVA space");
        }
        return pfn << PAGE_SHIFT;
    }

    @Override
    public void read(long iova, ByteBuffer dst) {
        access(iova, dst, false);
    }

    @Override
    public void write(long iova, ByteBuffer src) {
        access(iova, src, true);
    }

    @Override
    public boolean mapped(long iova, long length) {
        long last = iova + Math.max(length, 1) - 1;
        if (length < 0 || Long.compareUnsigned(last, iova) < 0) {
            return false;
        }
        lock.lock();
        try {
            if (released) {
                return false;
            }
            for (long at = iova;;) {
                DmaMapping dma = find(at, 1);
                if (dma == null) {
                    return false;
                }
                if (Long.compareUnsigned(dma.last(), last) >= 0) {
                    return true;
                }
                at = dma.last() + 1;
            }
        } finally {
            lock.unlock();
        }
    }

    /** vfio_dma_rw: checks the whole range first, then copies mapping by mapping. */
    private void access(long iova, ByteBuffer buffer, boolean write) {
        int length = buffer.remaining();
        if (length == 0) {
            return;
        }
        if (Long.compareUnsigned(iova + length - 1, iova) < 0) {
            throw new ErrnoException(Errno.EFAULT, "access at iova 0x" + Long.toHexString(iova) + " wraps around");
        }
        lock.lock();
        try {
            checkLive();
            int need = write ? IOMMU_WRITE : IOMMU_READ;
            DmaMapping last = lastHit;
            if ((last == null || !last.contains(iova)) && (iova & (PAGE_SIZE - 1)) + length <= PAGE_SIZE) {
                // Within one page: its page table entry has all it takes (no mapping object touched).
                long pte = index.pte(iova);
                if ((pte & need) != 0) {
                    VmMemory backing = backings[(int) (pte >>> IovaIndex.PTE_BACKING_SHIFT)];
                    long offset = (pte & IovaIndex.PTE_OFFSET_MASK) | (iova & (PAGE_SIZE - 1));
                    if (write) {
                        backing.write(offset, buffer, buffer.position(), length);
                    } else {
                        backing.read(offset, buffer, buffer.position(), length);
                    }
                    buffer.position(buffer.position() + length);
                    return;
                }
            }
            DmaMapping first = translate(iova);
            if (first != null && (first.prot & need) != 0 && Long.compareUnsigned(iova + length - 1, first.last()) <= 0) {
                // One mapping holds the whole access: the common case, one lookup, no second pass.
                int offset = (int) (iova - first.iova);
                if (write) {
                    first.memory.write(offset, buffer, buffer.position(), length);
                } else {
                    first.memory.read(offset, buffer, buffer.position(), length);
                }
                buffer.position(buffer.position() + length);
                return;
            }
            for (long at = iova, left = length; left > 0;) {
                DmaMapping dma = find(at, 1);
                if (dma == null) {
                    throw new ErrnoException(Errno.EFAULT, "no DMA mapping at iova 0x" + Long.toHexString(at));
                }
                if ((dma.prot & need) == 0) {
                    throw new ErrnoException(Errno.EPERM, "the mapping at iova 0x" + Long.toHexString(dma.iova)
                            + " is not " + (write ? "writable" : "readable"));
                }
                long chunk = Math.min(left, dma.last() - at + 1);
                at += chunk;
                left -= chunk;
            }
            for (long at = iova; buffer.hasRemaining();) {
                DmaMapping dma = find(at, 1);
                int offset = (int) (at - dma.iova);
                int chunk = (int) Math.min(buffer.remaining(), dma.size - offset);
                if (write) {
                    dma.memory.write(offset, buffer, buffer.position(), chunk);
                } else {
                    dma.memory.read(offset, buffer, buffer.position(), chunk);
                }
                buffer.position(buffer.position() + chunk);
                at += chunk;
            }
        } finally {
            lock.unlock();
        }
    }

    /** First-level entry bits (x86-64 paging, as VT-d's first-level tables use). */
    private static final long PTE_PRESENT = 1, PTE_WRITE = 2, PTE_LARGE = 0x80;
    private static final long PTE_ADDR = 0x000f_ffff_ffff_f000L;

    @Override
    public long translatePasid(String physicalDevice, int pasid, long address, int prot) {
        if (prot == 0 || (prot & ~(IOMMU_READ | IOMMU_WRITE)) != 0) {
            throw new ErrnoException(Errno.EINVAL, "a PASID request needs READ and/or WRITE, prot " + prot);
        }
        boolean write = (prot & IOMMU_WRITE) != 0;
        lock.lock();
        try {
            checkLive();
            PlatformModel.BoundTable bound = model.boundTable(physicalDevice, pasid);
            if (bound == null || !hasDomain(bound.bind.domain())) {
                throw new ErrnoException(Errno.EFAULT, "page fault at 0x" + Long.toHexString(address) + ": PASID " + pasid
                        + " has no page table bound on " + physicalDevice + " in the container of " + vm);
            }
            long vpn = address >>> PAGE_SHIFT;
            long hit = model.cached(bound, vpn);
            if (hit < 0 || (write && (hit & 1) == 0)) {
                hit = walk(bound.bind, address);
                model.cache(bound, vpn, hit);
            }
            if (write && (hit & 1) == 0) {
                throw new ErrnoException(Errno.EFAULT, "page fault at 0x" + Long.toHexString(address) + ": PASID " + pasid
                        + " maps it read-only");
            }
            return (hit & ~(PAGE_SIZE - 1)) | (address & (PAGE_SIZE - 1));
        } finally {
            lock.unlock();
        }
    }

    private boolean hasDomain(int id) {
        for (PlatformModel.DomainState d : domains) {
            if (d.id == id) {
                return true;
            }
        }
        return false;
    }

    /**
     * Walks a bound first-level table (4 levels for a 48-bit address width, 5 for 57), reading
     * each entry through this container's mappings as the IOMMU reads guest memory. Returns the
     * guest-physical page of {@code address} with bit 0 set when every level allows writes.
     */
    private long walk(IommuModel.GpasidBind bind, long address) {
        int width = bind.addrWidth();
        long upper = address >> (width - 1);
        if (upper != 0 && upper != -1) {
            throw new ErrnoException(Errno.EFAULT, "page fault at 0x" + Long.toHexString(address)
                    + ": not canonical for a " + width + "-bit address width");
        }
        int levels = width == 57 ? 5 : 4;
        long table = bind.gpgd() & PTE_ADDR;
        boolean writable = true;
        ByteBuffer entry = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int level = levels; level >= 1; level--) {
            int shift = PAGE_SHIFT + 9 * (level - 1);
            long at = table + ((address >>> shift) & 511) * 8;
            try {
                access(at, entry.clear(), false);
            } catch (ErrnoException e) {
                throw new ErrnoException(Errno.EFAULT, "page fault at 0x" + Long.toHexString(address)
                        + ": the level-" + level + " table entry at 0x" + Long.toHexString(at) + " is not in guest memory ("
                        + e.getMessage() + ")");
            }
            long pte = entry.getLong(0);
            if ((pte & PTE_PRESENT) == 0) {
                throw new ErrnoException(Errno.EFAULT, "page fault at 0x" + Long.toHexString(address)
                        + ": the level-" + level + " entry at 0x" + Long.toHexString(at) + " is not present");
            }
            writable &= (pte & PTE_WRITE) != 0;
            if ((level == 2 || level == 3) && (pte & PTE_LARGE) != 0) {
                long pageMask = (1L << shift) - 1;
                long gpa = ((pte & PTE_ADDR) & ~pageMask) | (address & pageMask);
                return (gpa & ~(PAGE_SIZE - 1)) | (writable ? 1 : 0);
            }
            table = pte & PTE_ADDR;
        }
        return table | (writable ? 1 : 0);
    }

    @Override
    public void addUnmapListener(VfioDmaUnmapListener listener) {
        lock.lock();
        try {
            checkLive();
            listeners.add(listener);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void removeUnmapListener(VfioDmaUnmapListener listener) {
        listeners.remove(listener);
    }

    // ---- introspection for the shell and tests --------------------------------------------

    /** A snapshot of the mappings: iova, size, vaddr, prot, pinned pages. */
    List<long[]> mappings() {
        lock.lock();
        try {
            List<long[]> list = new ArrayList<>();
            for (DmaMapping dma : dmas.values()) {
                list.add(new long[] { dma.iova, dma.size, dma.vaddr, dma.prot, dma.pinned.size() });
            }
            return list;
        } finally {
            lock.unlock();
        }
    }

    int mappingCount() {
        lock.lock();
        try {
            return dmas.size();
        } finally {
            lock.unlock();
        }
    }

    VmAddressSpace vm() {
        return vm;
    }
}
