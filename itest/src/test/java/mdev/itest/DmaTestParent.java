package mdev.itest;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDeviceOps;
import vfio.core.VfioDma;
import vfio.core.VfioDmaUnmapListener;
import vfio.core.VfioRegions;

/**
 * A parent written the way a user writes one for their own tests: its devices copy guest
 * memory by IOVA. Writing {@code iova (u64), length (u64)} at offset 0 of region 0 reads that
 * much guest memory into the device; reading region 0 from offset 0x100 returns it; writing
 * {@code iova, length} at offset 0x20 writes the first {@code length} copied bytes back. Writing
 * {@code iova} at offset 0x10 pins that page (and the device unpins it when told it is unmapped).
 */
final class DmaTestParent implements MdevParent {
    static final MdevTypeSpec TYPE = new MdevTypeSpec("1", "DMA copier", "reads guest memory by IOVA", "vfio-pci");
    final Map<UUID, Device> devices = new ConcurrentHashMap<>();
    private final String name;
    /** The physical device whose IOMMU backs every device of this parent, or null. */
    private final String iommuDevice;

    DmaTestParent() {
        this("dmatest", null);
    }

    /** A parent whose devices are IOMMU-backed by {@code iommuDevice} (mdev_set_iommu_device). */
    DmaTestParent(String name, String iommuDevice) {
        this.name = name;
        this.iommuDevice = iommuDevice;
    }

    static final class Device implements VfioDeviceOps {
        final ByteBuffer copied = ByteBuffer.allocate(0x100);
        /** The last copy started at offset 0x30, done on a thread of the device's own. */
        volatile java.util.concurrent.CompletableFuture<byte[]> asyncCopy;
        volatile VfioDma dma;
        volatile long pinned = -1;
        final VfioDmaUnmapListener unpinOnUnmap = (iova, size) -> {
            long page = pinned;
            if (page >= 0 && page << 12 >= iova && page << 12 < iova + size) {
                dma.unpinPages(new long[] { page });
                pinned = -1;
            }
        };

        @Override
        public void open(VfioDeviceContext context) {
            dma = context.dma();
            dma.addUnmapListener(unpinOnUnmap);
        }

        @Override
        public void release() {
            if (dma != null) {
                dma.removeUnmapListener(unpinOnUnmap);
            }
        }

        @Override
        public synchronized int write(ByteBuffer src, long pos) {
            ByteBuffer in = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int n = src.remaining();
            long offset = VfioRegions.offset(pos);
            if (offset == 0 && n == 16) {
                long iova = in.getLong(in.position());
                int length = (int) in.getLong(in.position() + 8);
                if (length < 0 || length > copied.capacity()) {
                    throw new ErrnoException(Errno.EINVAL, "length " + length);
                }
                dma.read(iova, copied.clear().limit(length));
            } else if (offset == 0x10 && n == 8) {
                long page = in.getLong(in.position()) >>> 12;
                dma.pinPages(new long[] { page }, VfioDma.IOMMU_READ);
                pinned = page;
            } else if (offset == 0x30 && n == 16) {
                // the same copy on a thread of the device's own (a transfer that ends later)
                long iova = in.getLong(in.position());
                int length = (int) in.getLong(in.position() + 8);
                VfioDma target = dma;
                asyncCopy = new java.util.concurrent.CompletableFuture<>();
                java.util.concurrent.CompletableFuture<byte[]> result = asyncCopy;
                Thread copier = new Thread(() -> {
                    try {
                        Thread.sleep(50);   // the write that started the copy has been answered by then
                        ByteBuffer data = ByteBuffer.allocate(length);
                        target.read(iova, data);
                        result.complete(data.array());
                    } catch (RuntimeException e) {
                        result.completeExceptionally(e);
                    } catch (InterruptedException e) {
                        result.completeExceptionally(e);
                    }
                }, "dmatest async copy");
                copier.setDaemon(true);
                copier.start();
            } else if (offset == 0x20 && n == 16) {
                // the other way: the first length bytes of what was copied, written to guest memory
                long iova = in.getLong(in.position());
                int length = (int) in.getLong(in.position() + 8);
                if (length < 0 || length > copied.capacity()) {
                    throw new ErrnoException(Errno.EINVAL, "length " + length);
                }
                dma.write(iova, ByteBuffer.wrap(copied.array(), 0, length));
            } else {
                throw new ErrnoException(Errno.EINVAL, "bad command at 0x" + Long.toHexString(offset));
            }
            src.position(src.limit());
            return n;
        }

        @Override
        public synchronized int read(ByteBuffer dst, long pos) {
            long offset = VfioRegions.offset(pos) - 0x100;
            int n = dst.remaining();
            if (offset < 0 || offset + n > copied.capacity()) {
                throw new ErrnoException(Errno.EINVAL, "bad read at 0x" + Long.toHexString(offset + 0x100));
            }
            dst.put(copied.array(), (int) offset, n);
            return n;
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String driverName() {
        return name;
    }

    @Override
    public List<MdevTypeSpec> supportedTypes() {
        return List.of(TYPE);
    }

    @Override
    public long availableInstances(MdevTypeSpec type) {
        return 8 - devices.size();
    }

    @Override
    public void create(MdevTypeSpec type, MdevDevice device) {
        Device d = new Device();
        device.setClassId(MdevClassId.VFIO);
        device.setDeviceOps(d);
        if (iommuDevice != null) {
            device.setIommuDevice(iommuDevice);
        }
        devices.put(device.uuid(), d);
    }

    @Override
    public void remove(MdevDevice device) {
        devices.remove(device.uuid());
    }
}
