package vfio.type1.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import vfio.core.Vfio;
import vfio.type1.IommuModel;

/**
 * The platform IOMMU model shared by every container: IOMMU domains with the physical devices
 * attached to them, the stage-1 format of each device's IOMMU, and the system-wide PASID space
 * with its per-VM tracking. Its monitor is innermost: nothing is called out while it is held.
 */
final class PlatformModel implements IommuModel {
    final IoasidAllocator allocator = new IoasidAllocator();
    final VfioMmRegistry mms = new VfioMmRegistry(allocator);
    private final Map<Integer, DomainState> domains = new TreeMap<>();
    private final Map<String, Integer> formats = new HashMap<>();
    private int nextDomainId = 1;

    /** An IOMMU domain and what is attached to it. */
    static final class DomainState {
        final int id;
        final boolean nesting;
        final int pasidFormat;
        final List<Attachment> devices = new ArrayList<>();

        DomainState(int id, boolean nesting, int pasidFormat) {
            this.id = id;
            this.nesting = nesting;
            this.pasidFormat = pasidFormat;
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
        domain.devices.add(new Attachment(physicalDevice, aux, mdev));
    }

    /** Detaches an mdev's aux attachment; a domain left empty is freed. */
    synchronized void detach(DomainState domain, String mdev) {
        domain.devices.removeIf(a -> a.mdev().equals(mdev));
        if (domain.devices.isEmpty()) {
            domains.remove(domain.id);
        }
    }

    @Override
    public synchronized List<Domain> domains() {
        List<Domain> list = new ArrayList<>();
        for (DomainState d : domains.values()) {
            list.add(new Domain(d.id, d.nesting, d.pasidFormat, d.devices));
        }
        return list;
    }

    @Override
    public List<Pasid> pasids() {
        List<Pasid> list = new ArrayList<>();
        allocator.snapshot().forEach((pasid, owner) -> {
            VfioMm vmm = (VfioMm) owner;
            list.add(new Pasid(pasid, vmm.vm.name(), vmm.vm.id()));
        });
        return list;
    }

    @Override
    public int[] pasidUsage(long vmId) {
        VfioMm vmm = mms.find(vmId);
        return vmm == null ? null : vmm.usage();
    }

    @Override
    public synchronized void setPasidFormat(String physicalDevice, int format) {
        formats.put(physicalDevice, format);
    }
}
