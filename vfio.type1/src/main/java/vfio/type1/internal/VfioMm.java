package vfio.type1.internal;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.Vfio;
import vfio.core.VmAddressSpace;

/**
 * PASID tracking of one VM (seed 002's struct vfio_mm), shared by all containers of that VM
 * and counted by them: quota (default 1000), the PASIDs it holds, and their reclaim when its
 * last container goes. Its monitor is the seed's pasid_lock: taken after a container's
 * IOMMU lock, never before.
 */
final class VfioMm {
    final VmAddressSpace vm;
    private final IoasidAllocator allocator;
    private final Set<Integer> pasids = new LinkedHashSet<>();
    private int quota = Vfio.VFIO_DEFAULT_PASID_QUOTA;
    /** Containers holding this; guarded by the registry. */
    int refs;

    VfioMm(VmAddressSpace vm, IoasidAllocator allocator) {
        this.vm = vm;
        this.allocator = allocator;
    }

    /** vfio_mm_pasid_alloc: ENOSPC past quota or when the range has no free id. */
    synchronized int alloc(long min, long max) {
        if (pasids.size() >= quota) {
            throw new ErrnoException(Errno.ENOSPC, vm + " holds " + pasids.size() + " PASIDs, its quota");
        }
        int pasid = allocator.alloc(this, min, max);
        pasids.add(pasid);
        return pasid;
    }

    /** vfio_mm_pasid_free: only a PASID this VM owns; otherwise nothing changes. */
    synchronized void free(long pasid) {
        allocator.free(this, pasid);
        pasids.remove((int) pasid);
    }

    /** VFIO_IOMMU_SET_PASID_QUOTA: EINVAL below the PASIDs held now. */
    synchronized int setQuota(long newQuota) {
        if (newQuota > Integer.MAX_VALUE || newQuota < pasids.size()) {
            throw new ErrnoException(Errno.EINVAL, "quota " + newQuota + " is below the " + pasids.size()
                    + " PASIDs " + vm + " holds");
        }
        quota = (int) newQuota;
        return quota;
    }

    synchronized boolean owns(int pasid) {
        return pasids.contains(pasid);
    }

    synchronized List<Integer> pasids() {
        return new ArrayList<>(pasids);
    }

    synchronized int[] usage() {
        return new int[] { pasids.size(), quota };
    }

    /** Frees every PASID (vfio_mm_reclaim_pasid); returns them. */
    synchronized List<Integer> reclaim() {
        List<Integer> freed = new ArrayList<>(pasids);
        for (int pasid : freed) {
            allocator.free(this, pasid);
        }
        pasids.clear();
        return freed;
    }
}
