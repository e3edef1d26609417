package vfio.core;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * What every emulated vfio-pci device of a vendor shares: the device ioctls decoded by
 * {@link VfioIoctlCodec} into the typed calls, a PCI device with a working reset, and regions
 * that are read/write, not mmap-able, at their {@link VfioRegions} offsets. A vendor says
 * how large each region is and whether the device is still there; the object's monitor is the
 * vendor lock these methods take.
 */
@ConsumerType
public abstract class VfioPciDeviceOps implements VfioDeviceOps, VfioDeviceIoctls {
    /** The size of region {@code index}, 0 for a region the device does not have. */
    protected abstract long regionSize(int index);

    /** Set once the parent removed the device; guarded by the monitor. */
    private boolean removed;

    /**
     * The parent removed the device: every later call answers ENODEV. {@link #onRemoved} runs
     * first, under the monitor, for what the device lets go of.
     */
    public final synchronized void markRemoved() {
        removed = true;
        onRemoved();
    }

    /** What a device frees when it is removed (eventfds, memory); nothing by default. */
    protected void onRemoved() {
    }

    /** How messages name the device ("mtty device UUID"). */
    protected abstract String describe();

    /** GET_IRQ_INFO of a device without interrupts: each PCI index there, with no vector; EINVAL past them. */
    protected final VfioIrqInfo noIrqInfo(int index) {
        if (index < 0 || index >= Vfio.VFIO_PCI_NUM_IRQS) {
            throw new ErrnoException(Errno.EINVAL, describe() + " has no irq index " + index);
        }
        return new VfioIrqInfo(index, 0, 0);
    }

    /** SET_IRQS of a device without interrupts: EINVAL, nothing to set. */
    protected final void refuseIrqs(VfioIrqSet set) {
        throw new ErrnoException(Errno.EINVAL, describe() + " has no interrupts (irq index " + set.index() + ")");
    }

    /** ENODEV once the parent removed the device. Called holding the monitor. */
    protected final void checkAlive() {
        if (removed) {
            throw new mdev.core.ErrnoException(mdev.core.Errno.ENODEV, describe() + " has been removed");
        }
    }

    protected final synchronized boolean isRemoved() {
        return removed;
    }

    /** An open succeeds while the device is there; vendors that count opens override it. */
    @Override
    public synchronized void open() {
        checkAlive();
    }

    /**
     * Checks a region access at {@code pos} ({@code index << 40 | offset}) after
     * {@link #checkAlive}: EINVAL for a region the device lacks or an access running past it.
     * Returns the offset in the region.
     */
    protected int checkAccess(long pos, int count) {
        checkAlive();
        int index = VfioRegions.index(pos);
        long offset = VfioRegions.offset(pos);
        long size = regionSize(index);
        if (size == 0) {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "the device has no region " + index);
        }
        if (offset + count > size) {
            throw new mdev.core.ErrnoException(mdev.core.Errno.EINVAL, "access of " + count + " byte(s) at 0x"
                    + Long.toHexString(offset) + " runs past region " + index + " of size 0x" + Long.toHexString(size));
        }
        return (int) offset;
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg, FileTable files) {
        synchronized (this) {
            checkAlive();
        }
        return VfioIoctlCodec.dispatch(cmd, arg, files, this);
    }

    @Override
    public VfioDeviceInfo getInfo() {
        return new VfioDeviceInfo(Vfio.VFIO_DEVICE_FLAGS_PCI | Vfio.VFIO_DEVICE_FLAGS_RESET, Vfio.VFIO_PCI_NUM_REGIONS,
                Vfio.VFIO_PCI_NUM_IRQS);
    }

    @Override
    public synchronized VfioRegionInfo getRegionInfo(int index) {
        checkAlive();
        return new VfioRegionInfo(index, Vfio.VFIO_REGION_INFO_FLAG_READ | Vfio.VFIO_REGION_INFO_FLAG_WRITE,
                regionSize(index), VfioRegions.position(index, 0));
    }
}
