package mdev.testkit;

import java.nio.ByteBuffer;
import java.util.List;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioContainer;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioGroupRegistration;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;

/**
 * VFIO without a framework, for unit tests of front ends that open devices the way QEMU does:
 * every group holds {@link FakeVfioDevice}s made on demand, containers accept any IOMMU and
 * record nothing but their VM.
 */
public final class FakeVfio implements VfioService {
    /** Devices opened so far, newest last. */
    public final List<FakeVfioDevice> opened = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public VfioContainer openContainer(VmAddressSpace vm, FileTable files) {
        return new VfioContainer() {
            @Override
            public int fd() {
                return 3;
            }

            @Override
            public VmAddressSpace vm() {
                return vm;
            }

            @Override
            public long ioctl(int cmd, long arg) {
                return cmd == Vfio.VFIO_GET_API_VERSION ? Vfio.VFIO_API_VERSION : 1;
            }

            @Override
            public long ioctl(int cmd, ByteBuffer arg) {
                if (cmd == Vfio.VFIO_IOMMU_UNMAP_DMA) {
                    return arg.getLong(arg.position() + 16);
                }
                return 0;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public VfioGroup openGroup(int groupId, FileTable files) {
        return new VfioGroup() {
            @Override
            public int id() {
                return groupId;
            }

            @Override
            public int fd() {
                return 4;
            }

            @Override
            public long ioctl(int cmd, ByteBuffer arg) {
                return 0;
            }

            @Override
            public void close() {
            }

            @Override
            public VfioDeviceFile getDevice(String name) {
                FakeVfioDevice device = new FakeVfioDevice(files);
                opened.add(device);
                return device;
            }
        };
    }

    @Override
    public List<Integer> groups() {
        return List.of(1);
    }

    @Override
    public int groupOf(String deviceName) {
        return 1;
    }

    @Override
    public VfioGroupRegistration addGroupDevice(VfioDevice device) {
        throw new ErrnoException(Errno.EOPNOTSUPP, "the fake VFIO serves fake devices only");
    }
}
