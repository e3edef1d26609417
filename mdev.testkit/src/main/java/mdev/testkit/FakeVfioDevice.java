package mdev.testkit;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioDeviceIoctls;
import vfio.core.VfioIoctlCodec;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegionInfo;
import vfio.core.VfioRegions;

/**
 * An open VFIO PCI device in memory: BAR0 of 4 KiB (writing 1 to offset 0x10 fires INTx),
 * config space of 256 bytes, INTx with one vector; ioctls go through the kernel codec.
 */
public final class FakeVfioDevice implements VfioDeviceFile {
    public static final int BAR0_SIZE = 4096;
    public static final int DOORBELL = 0x10;
    private final FileTable files;
    private final byte[] bar0 = new byte[BAR0_SIZE];
    private final byte[] config = new byte[256];
    private volatile EventFd intx;
    private volatile boolean closed;
    /** How many resets the device has had. */
    public volatile int resets;

    public FakeVfioDevice(FileTable files) {
        this.files = files;
        config[0] = (byte) 0xf4;
        config[1] = 0x1a;
    }

    private final VfioDeviceIoctls ioctls = new VfioDeviceIoctls() {
        @Override
        public VfioDeviceInfo getInfo() {
            return new VfioDeviceInfo(Vfio.VFIO_DEVICE_FLAGS_PCI | Vfio.VFIO_DEVICE_FLAGS_RESET, 9, 5);
        }

        @Override
        public VfioRegionInfo getRegionInfo(int index) {
            int rw = Vfio.VFIO_REGION_INFO_FLAG_READ | Vfio.VFIO_REGION_INFO_FLAG_WRITE;
            long size = index == 0 ? BAR0_SIZE : index == Vfio.VFIO_PCI_CONFIG_REGION_INDEX ? config.length : 0;
            return new VfioRegionInfo(index, size == 0 ? 0 : rw, size, VfioRegions.position(index, 0));
        }

        @Override
        public VfioIrqInfo getIrqInfo(int index) {
            return index == Vfio.VFIO_PCI_INTX_IRQ_INDEX
                    ? new VfioIrqInfo(index, Vfio.VFIO_IRQ_INFO_EVENTFD, 1) : new VfioIrqInfo(index, 0, 0);
        }

        @Override
        public void setIrqs(VfioIrqSet set) {
            if (set.dataType() == Vfio.VFIO_IRQ_SET_DATA_EVENTFD) {
                intx = set.eventFds()[0];
            } else if (set.count() == 0) {
                intx = null;
            }
        }

        @Override
        public void reset() {
            resets++;
            java.util.Arrays.fill(bar0, (byte) 0);
        }
    };

    private void check() {
        if (closed) {
            throw new ErrnoException(Errno.EBADF, "device file closed");
        }
    }

    private byte[] region(long pos, int n) {
        int index = VfioRegions.index(pos);
        long offset = VfioRegions.offset(pos);
        byte[] r = index == 0 ? bar0 : index == Vfio.VFIO_PCI_CONFIG_REGION_INDEX ? config : null;
        if (r == null || offset + n > r.length) {
            throw new ErrnoException(Errno.EINVAL, "no region bytes at 0x" + Long.toHexString(pos) + "+" + n);
        }
        return r;
    }

    @Override
    public VfioDevice device() {
        throw new UnsupportedOperationException("a fake device has no VfioDevice");
    }

    @Override
    public FileTable files() {
        return files;
    }

    @Override
    public synchronized int read(ByteBuffer dst, long pos) {
        check();
        int n = dst.remaining();
        dst.put(dst.position(), region(pos, n), (int) VfioRegions.offset(pos), n);
        return n;
    }

    @Override
    public synchronized int write(ByteBuffer src, long pos) {
        check();
        int n = src.remaining();
        byte[] r = region(pos, n);
        src.get(src.position(), r, (int) VfioRegions.offset(pos), n);
        EventFd irq = intx;
        if (r == bar0 && VfioRegions.offset(pos) == DOORBELL && n >= 1 && src.get(src.position()) == 1 && irq != null) {
            irq.signal();
        }
        return n;
    }

    @Override
    public long ioctl(int cmd, ByteBuffer arg) {
        check();
        return VfioIoctlCodec.dispatch(cmd, arg, files, ioctls);
    }

    @Override
    public ByteBuffer mmap(long pos, long length) {
        throw new ErrnoException(Errno.EINVAL, "no region of the fake device can be mapped");
    }

    @Override
    public void close() {
        closed = true;
    }

    public boolean isClosed() {
        return closed;
    }
}
