package vfio.type1.internal;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.Vfio;
import vfio.core.VfioIommu;
import vfio.core.VfioIommuDriver;
import vfio.core.VmAddressSpace;
import vfio.type1.IommuModel;

/**
 * The type1 IOMMU driver (vfio_iommu_driver_ops_type1), serving VFIO_TYPE1_IOMMU,
 * VFIO_TYPE1v2_IOMMU and VFIO_TYPE1_NESTING_IOMMU, and the platform IOMMU model under it. Stopping this bundle releases every IOMMU it opened: their containers
 * answer ENODEV and every mapping and pin is gone.
 */
@Component(service = { VfioIommuDriver.class, IommuModel.class }, property = {
        VfioIommuDriver.TYPE_PROPERTY + ":Integer=" + Vfio.VFIO_TYPE1_IOMMU,
        VfioIommuDriver.TYPE_PROPERTY + ":Integer=" + Vfio.VFIO_TYPE1v2_IOMMU,
        VfioIommuDriver.TYPE_PROPERTY + ":Integer=" + Vfio.VFIO_TYPE1_NESTING_IOMMU })
public final class Type1Driver implements VfioIommuDriver, IommuModel {
    /** Component property: the dma_entry_limit module parameter (mappings per container). */
    static final String DMA_ENTRY_LIMIT = "dma.entry.limit";

    private final Set<Type1Iommu> open = ConcurrentHashMap.newKeySet();
    private final PlatformModel model = new PlatformModel();
    private final int dmaEntryLimit;

    @Activate
    public Type1Driver(Map<String, Object> properties) {
        Object limit = properties.get(DMA_ENTRY_LIMIT);
        this.dmaEntryLimit = limit == null ? Type1Iommu.DMA_ENTRY_LIMIT : Integer.parseInt(limit.toString());
        if (dmaEntryLimit <= 0) {
            throw new IllegalArgumentException(DMA_ENTRY_LIMIT + " must be positive, not " + limit);
        }
    }

    @Override
    public int checkExtension(int extension) {
        return switch (extension) {
            case Vfio.VFIO_TYPE1_IOMMU, Vfio.VFIO_TYPE1v2_IOMMU, Vfio.VFIO_TYPE1_NESTING_IOMMU -> 1;
            default -> 0;
        };
    }

    @Override
    public VfioIommu open(int type, VmAddressSpace vm) {
        if (checkExtension(type) <= 0) {
            throw new ErrnoException(Errno.EINVAL, "type1 does not serve IOMMU type " + type);
        }
        Type1Iommu[] self = new Type1Iommu[1];
        self[0] = new Type1Iommu(type, vm, model, dmaEntryLimit, () -> open.remove(self[0]));
        open.add(self[0]);
        return self[0];
    }

    /** IOMMUs open now (for tests and the shell). */
    Set<Type1Iommu> openIommus() {
        return Set.copyOf(open);
    }

    @Override
    public List<Domain> domains() {
        return model.domains();
    }

    @Override
    public List<Mapping> mappings() {
        List<Mapping> all = new java.util.ArrayList<>();
        for (Type1Iommu iommu : open) {
            for (long[] m : iommu.mappings()) {
                all.add(new Mapping(iommu.vm().name(), m[0], m[1], m[2], (int) m[3], (int) m[4]));
            }
        }
        all.sort(java.util.Comparator.comparing(Mapping::vm).thenComparing(Mapping::iova, Long::compareUnsigned));
        return all;
    }

    @Override
    public List<GpasidBind> binds() {
        return model.binds();
    }

    @Override
    public List<Invalidation> invalidations() {
        return model.invalidations();
    }

    @Override
    public void failNthBind(int n, mdev.core.Errno errno) {
        model.failNthBind(n, errno);
    }

    @Override
    public List<Pasid> pasids() {
        return model.pasids();
    }

    @Override
    public int[] pasidUsage(long vmId) {
        return model.pasidUsage(vmId);
    }

    @Override
    public void setPasidFormat(String physicalDevice, int format) {
        model.setPasidFormat(physicalDevice, format);
    }

    @Deactivate
    void deactivate() {
        for (Type1Iommu iommu : Set.copyOf(open)) {
            iommu.release();
        }
    }
}
