package vfio.mdev.internal;

import mdev.core.MdevDevice;
import vfio.core.GuardedVfioDevice;
import vfio.core.VfioDeviceOps;

/**
 * One bound VFIO mdev: its files hold an open reference on the mdev (removing it answers EBUSY
 * while open), and it is IOMMU-backed when its parent said so at create.
 */
final class VfioMdevDevice extends GuardedVfioDevice {
    final MdevDevice mdev;

    VfioMdevDevice(MdevDevice mdev, VfioDeviceOps ops) {
        super(mdev.uuid(), ops);
        this.mdev = mdev;
    }

    @Override
    protected void takeOpenReference() {
        mdev.acquire();
    }

    @Override
    protected void dropOpenReference() {
        mdev.release();
    }

    @Override
    public java.util.Optional<String> iommuDevice() {
        return mdev.iommuDevice();
    }
}
