package vfio.type1;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The platform IOMMU model under vfio.type1, registered as a service by that bundle. It is
 * what a test looks at to see which domains exist, which devices they hold and which VM owns
 * which PASID, and where it injects failures.
 */
@ProviderType
public interface IommuModel {
    /** An IOMMU domain: its number, whether it nests, its stage-1 format, its devices. */
    record Domain(int id, boolean nesting, int pasidFormat, List<Attachment> devices) {
        public Domain {
            devices = List.copyOf(devices);
        }
    }

    /** A physical device attached to a domain, as an aux domain for an mdev or not. */
    record Attachment(String physicalDevice, boolean aux, String mdev) {
    }

    /** An allocated PASID and the VM (address space name and id) that owns it. */
    record Pasid(int pasid, String vm, long vmId) {
    }

    /** A DMA mapping of a container of a VM: IOVA, size, VM address, prot, pinned pages. */
    record Mapping(String vm, long iova, long size, long vaddr, int prot, int pinnedPages) {
    }

    /** A guest page table bound for a PASID on a physical device (iommu_sva_bind_gpasid). */
    record GpasidBind(int domain, String physicalDevice, String mdev, long hpasid, long gpasid, long gpgd,
            int addrWidth) {
    }

    /** A cache invalidation received for a device (iommu_cache_invalidate). */
    record Invalidation(int domain, String physicalDevice, String mdev, int cache, int granularity, long pasid,
            long addr, long granuleSize, long nbGranules) {
    }

    List<Domain> domains();

    /** Every guest PASID bind in force, in the order they were made. */
    List<GpasidBind> binds();

    /** Every cache invalidation received, oldest first. */
    List<Invalidation> invalidations();

    /**
     * Failure injection: the {@code n}-th device bind from now (1 = the next) fails with
     * {@code errno}; {@code n = 0} turns it off.
     */
    void failNthBind(int n, mdev.core.Errno errno);

    /** Every DMA mapping of every open type1 container. */
    List<Mapping> mappings();

    /** Every PASID allocated system-wide, in order. */
    List<Pasid> pasids();

    /** PASIDs held by one VM, with its quota: {@code [count, quota]} or null if untracked. */
    int[] pasidUsage(long vmId);

    /** The stage-1 PASID table format of a physical device's IOMMU (default Intel VT-d, 1). */
    void setPasidFormat(String physicalDevice, int format);
}
