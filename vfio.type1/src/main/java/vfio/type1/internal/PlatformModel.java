package vfio.type1.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import vfio.core.Vfio;
import vfio.type1.IommuModel;

/**
 * The platform IOMMU model shared by every container (what {@link IommuModel} shows): IOMMU domains with the physical devices
 * attached to them, the stage-1 format of each device's IOMMU, and the system-wide PASID space
 * with its per-VM tracking. Its monitor is innermost: nothing is called out while it is held.
 */
final class PlatformModel {
    final IoasidAllocator allocator = new IoasidAllocator();
    final VfioMmRegistry mms = new VfioMmRegistry(allocator);
    private final Map<Integer, DomainState> domains = new TreeMap<>();
    private final Map<String, Integer> formats = new HashMap<>();
    private int nextDomainId = 1;
    /** Binds by physical device and host PASID. */
    private final Map<String, BoundTable> binds = new java.util.LinkedHashMap<>();
    private final List<IommuModel.Invalidation> invalidations = new ArrayList<>();
    private int bindsUntilFailure;
    private mdev.core.Errno injectedErrno;

    /** An IOMMU domain and what is attached to it. */
    static final class DomainState {
        final int id;
        final boolean nesting;
        final int pasidFormat;
        final List<IommuModel.Attachment> devices = new ArrayList<>();

        DomainState(int id, boolean nesting, int pasidFormat) {
            this.id = id;
            this.nesting = nesting;
            this.pasidFormat = pasidFormat;
        }
    }

    /**
     * A guest page table bound for a PASID on a physical device, with the translations the
     * IOMMU cached from it (its IOTLB: virtual page number to guest-physical page, bit 0 set
     * when every level allowed writes). The cache is guarded by the model's monitor and
     * goes with the bind.
     */
    static final class BoundTable {
        /** Cached translations per bind; a full cache starts over (an IOTLB evicts). */
        static final int IOTLB_ENTRIES = 512;
        final IommuModel.GpasidBind bind;
        final Map<Long, Long> iotlb = new java.util.HashMap<>();

        BoundTable(IommuModel.GpasidBind bind) {
            this.bind = bind;
        }
    }

    synchronized int formatOf(String physicalDevice) {
        return formats.getOrDefault(physicalDevice, Vfio.IOMMU_PASID_FORMAT_INTEL_VTD);
    }

    /** iommu_domain_alloc, with DOMAIN_ATTR_NESTING for nesting containers. */
    synchronized DomainState newDomain(boolean nesting, int pasidFormat) {
        DomainState domain = new DomainState(nextDomainId++, nesting, pasidFormat);
        domains.put(domain.id, domain);
        return domain;
    }

    /** iommu_aux_attach_device (aux) or iommu_attach_device. */
    synchronized void attach(DomainState domain, String physicalDevice, boolean aux, String mdev) {
        domain.devices.add(new IommuModel.Attachment(physicalDevice, aux, mdev));
    }

    /**
     * Detaches an mdev's aux attachment. A bind belongs to (physical device, PASID) in the
     * domain, not to the mdev that happened to attach first: it goes only when no mdev of that
     * physical device is left in the domain. A domain left empty is freed.
     */
    synchronized void detach(DomainState domain, String mdev) {
        domain.devices.removeIf(a -> a.mdev().equals(mdev));
        java.util.Set<String> stillAttached = new java.util.HashSet<>();
        domain.devices.forEach(a -> stillAttached.add(a.physicalDevice()));
        binds.values().removeIf(b -> b.bind.domain() == domain.id && !stillAttached.contains(b.bind.physicalDevice()));
        if (domain.devices.isEmpty()) {
            domains.remove(domain.id);
        }
    }

    synchronized List<IommuModel.Attachment> attachments(DomainState domain) {
        return List.copyOf(domain.devices);
    }

    private static String key(String physicalDevice, long hpasid) {
        return physicalDevice + "#" + hpasid;
    }

    /** iommu_sva_bind_gpasid on the physical device of an attachment, with its (aux) domain. */
    synchronized void bindGpasid(DomainState domain, IommuModel.Attachment at, vfio.core.IommuUapiCodec.GpasidBind data) {
        if (!domain.nesting) {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "domain " + domain.id
                    + " is not a nesting domain: no guest page tables");
        }
        if (bindsUntilFailure > 0 && --bindsUntilFailure == 0) {
            throw new mdev.core.ErrnoException(injectedErrno, "injected failure binding PASID " + data.hpasid()
                    + " on " + at.physicalDevice());
        }
        String key = key(at.physicalDevice(), data.hpasid());
        if (binds.containsKey(key)) {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EBUSY, "PASID " + data.hpasid() + " is already bound on "
                    + at.physicalDevice());
        }
        binds.put(key, new BoundTable(new IommuModel.GpasidBind(domain.id, at.physicalDevice(), at.mdev(), data.hpasid(),
                data.gpasid(), data.gpgd(), data.addrWidth())));
    }

    /** iommu_sva_unbind_gpasid; returns whether something was bound. */
    synchronized boolean unbindGpasid(DomainState domain, IommuModel.Attachment at, long hpasid) {
        BoundTable bound = binds.get(key(at.physicalDevice(), hpasid));
        if (bound == null || bound.bind.domain() != domain.id) {
            return false;
        }
        binds.remove(key(at.physicalDevice(), hpasid));
        return true;
    }

    /** Unbinds a PASID everywhere (before it is freed or reclaimed). */
    synchronized void unbindPasid(long hpasid) {
        binds.values().removeIf(b -> b.bind.hpasid() == hpasid);
    }

    /** The table bound for {@code hpasid} on a physical device, or null. */
    synchronized BoundTable boundTable(String physicalDevice, long hpasid) {
        return binds.get(key(physicalDevice, hpasid));
    }

    /** A cached translation of a bind still in force: the cache value, or -1. */
    synchronized long cached(BoundTable bound, long vpn) {
        Long hit = bound.iotlb.get(vpn);
        return hit == null ? -1 : hit;
    }

    /** Caches a walk's result, unless the bind went while the walk ran. */
    synchronized void cache(BoundTable bound, long vpn, long value) {
        if (binds.get(key(bound.bind.physicalDevice(), bound.bind.hpasid())) != bound) {
            return;
        }
        if (bound.iotlb.size() >= BoundTable.IOTLB_ENTRIES) {
            bound.iotlb.clear();
        }
        bound.iotlb.put(vpn, value);
    }

    /** iommu_cache_invalidate for one device of a nesting domain; recorded. */
    synchronized void invalidate(DomainState domain, IommuModel.Attachment at,
            vfio.core.IommuUapiCodec.CacheInvalidate info) {
        if (!domain.nesting) {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "domain " + domain.id
                    + " is not a nesting domain: no guest caches to invalidate");
        }
        invalidations.add(new IommuModel.Invalidation(domain.id, at.physicalDevice(), at.mdev(), info.cache(),
                info.granularity(), info.pasid(), info.addr(), info.granuleSize(), info.nbGranules()));
        for (BoundTable bound : binds.values()) {
            if (bound.bind.domain() == domain.id && bound.bind.physicalDevice().equals(at.physicalDevice())) {
                flush(bound, info);
            }
        }
    }

    /**
     * What an invalidation drops from one bind's cache: everything for domain granularity or
     * a PASID-selective one naming it (or naming none); for address granularity the pages of
     * {@code [addr, addr + granule_size * nb_granules)}. Every cache type (IOTLB, device
     * IOTLB, PASID cache) ends in the one cache this model keeps.
     */
    private static void flush(BoundTable bound, vfio.core.IommuUapiCodec.CacheInvalidate info) {
        boolean pasidNamed = (info.flags() & 1) != 0;
        if (info.granularity() != vfio.core.IommuUapiCodec.IOMMU_INV_GRANU_DOMAIN && pasidNamed
                && info.pasid() != bound.bind.hpasid()) {
            return;
        }
        if (info.granularity() != vfio.core.IommuUapiCodec.IOMMU_INV_GRANU_ADDR) {
            bound.iotlb.clear();
            return;
        }
        long first = info.addr() >>> PlatformIommu.PAGE_SHIFT;
        long bytes;
        try {
            bytes = Math.multiplyExact(info.granuleSize(), Math.max(1, info.nbGranules()));
        } catch (ArithmeticException tooLarge) {
            bytes = -1;
        }
        if (bytes < 0 || info.granuleSize() < 0) {
            bound.iotlb.clear();   // a range past 2^63 bytes is everything
            return;
        }
        long pages = Math.max(1, (bytes + PlatformIommu.PAGE_SIZE - 1) >>> PlatformIommu.PAGE_SHIFT);
        bound.iotlb.keySet().removeIf(vpn -> vpn - first >= 0 && vpn - first < pages);
    }

    synchronized List<IommuModel.GpasidBind> binds() {
        List<IommuModel.GpasidBind> list = new ArrayList<>();
        binds.values().forEach(b -> list.add(b.bind));
        return list;
    }

    synchronized List<IommuModel.Invalidation> invalidations() {
        return List.copyOf(invalidations);
    }

    synchronized void failNthBind(int n, mdev.core.Errno errno) {
        bindsUntilFailure = Math.max(0, n);
        injectedErrno = errno;
    }

    public synchronized List<IommuModel.Domain> domains() {
        List<IommuModel.Domain> list = new ArrayList<>();
        for (DomainState d : domains.values()) {
            list.add(new IommuModel.Domain(d.id, d.nesting, d.pasidFormat, d.devices));
        }
        return list;
    }

    public List<IommuModel.Pasid> pasids() {
        List<IommuModel.Pasid> list = new ArrayList<>();
        allocator.snapshot().forEach((pasid, owner) -> {
            VfioMm vmm = (VfioMm) owner;
            list.add(new IommuModel.Pasid(pasid, vmm.vm.name(), vmm.vm.id()));
        });
        return list;
    }

    public int[] pasidUsage(long vmId) {
        VfioMm vmm = mms.find(vmId);
        return vmm == null ? null : vmm.usage();
    }

    public synchronized void setPasidFormat(String physicalDevice, int format) {
        formats.put(physicalDevice, format);
    }
}
