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

    /** Detaches an mdev's aux attachment; a domain left empty is freed. */
    synchronized void detach(DomainState domain, String mdev) {
        domain.devices.removeIf(a -> a.mdev().equals(mdev));
        if (domain.devices.isEmpty()) {
            domains.remove(domain.id);
        }
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
