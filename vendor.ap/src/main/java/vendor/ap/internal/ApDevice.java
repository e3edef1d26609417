package vendor.ap.internal;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioDeviceIoctls;
import vfio.core.VfioDeviceOps;
import vfio.core.VfioIoctlCodec;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegionInfo;

/**
 * A vfio_ap mdev's device ops (seed 001 shape): open ties it to its guest, release resets its
 * queues and lets the guest go, and the ioctls are GET_INFO (AP, RESET; no regions, no irqs)
 * and RESET (every queue of the matrix). It has no regions: the guest reaches its queues
 * through the matrix KVM installs in its CRYCB, not through VFIO.
 */
final class ApDevice implements VfioDeviceOps, VfioDeviceIoctls {
    private final ApMatrix matrix;
    private final MatrixMdev mdev;
    private volatile boolean removed;

    ApDevice(ApMatrix matrix, MatrixMdev mdev) {
        this.matrix = matrix;
        this.mdev = mdev;
    }

    MatrixMdev mdev() {
        return mdev;
    }

    void markRemoved() {
        removed = true;
    }

    private void checkPresent() {
        if (removed) {
            throw new ErrnoException(Errno.ENODEV, "mdev " + mdev.uuid + " was removed");
        }
    }

    @Override
    public void open() {
        throw new ErrnoException(Errno.EINVAL, "mdev " + mdev.uuid + " opened without a guest (no KVM)");
    }

    @Override
    public void open(VfioDeviceContext context) {
        checkPresent();
        matrix.attachGuest(mdev, context.guest().orElse(null));
    }

    @Override
    public void release() {
        matrix.detachGuest(mdev);
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg, FileTable files) {
        checkPresent();
        return VfioIoctlCodec.dispatch(cmd, arg, files, this);
    }

    @Override
    public VfioDeviceInfo getInfo() {
        return new VfioDeviceInfo(VFIO_DEVICE_FLAGS_AP | VFIO_DEVICE_FLAGS_RESET, 0, 0);
    }

    @Override
    public VfioRegionInfo getRegionInfo(int index) {
        throw new ErrnoException(Errno.EINVAL, "vfio-ap has no region " + index);
    }

    @Override
    public VfioIrqInfo getIrqInfo(int index) {
        throw new ErrnoException(Errno.EINVAL, "vfio-ap has no irq " + index);
    }

    @Override
    public void setIrqs(VfioIrqSet set) {
        throw new ErrnoException(Errno.EINVAL, "vfio-ap has no irqs");
    }

    @Override
    public void reset() {
        matrix.resetQueues(mdev);
    }
}
