package vfio.type1.internal;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

import vfio.core.VmAddressSpace;

/**
 * The list of vfio_mm by VM (vfio.vfio_mm_list): a container's IOMMU takes a reference at
 * open and drops it at release; the last one reclaims the VM's PASIDs.
 */
final class VfioMmRegistry {
    private final IoasidAllocator allocator;
    private final Map<Long, VfioMm> byVm = new HashMap<>();

    VfioMmRegistry(IoasidAllocator allocator) {
        this.allocator = allocator;
    }

    /** vfio_mm_get_from_task. */
    synchronized VfioMm get(VmAddressSpace vm) {
        VfioMm vmm = byVm.computeIfAbsent(vm.id(), id -> new VfioMm(vm, allocator));
        vmm.refs++;
        return vmm;
    }

    /**
     * vfio_mm_put: the last reference reclaims the VM's PASIDs, after {@code beforeReclaim} has
     * undone whatever is bound to them.
     */
    void put(VfioMm vmm, Consumer<VfioMm> beforeReclaim) {
        synchronized (this) {
            if (--vmm.refs > 0) {
                return;
            }
            byVm.remove(vmm.vm.id());
        }
        beforeReclaim.accept(vmm);
        vmm.reclaim();
    }

    synchronized VfioMm find(long vmId) {
        return byVm.get(vmId);
    }
}
