package vfio.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.VfioContainer;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDma;
import vfio.core.VfioGroup;
import vfio.core.VfioGroupCodec;
import vfio.core.VfioGroupRegistration;
import vfio.core.VfioIommu;
import vfio.core.VfioIommuDriver;
import vfio.core.VfioIommuGroup;
import vfio.core.VmAddressSpace;

/** Containers and groups with the kernel's ordering rules, against a recording IOMMU driver. */
class VfioCoreTest {
    /** Records what the container does to its IOMMU. */
    static final class FakeIommu implements VfioIommu {
        final List<String> log = new ArrayList<>();
        boolean failAttach;

        @Override
        public void attachGroup(VfioIommuGroup group) {
            if (failAttach) {
                throw new ErrnoException(Errno.EBUSY, "attach refused");
            }
            log.add("attach " + group.id());
        }

        @Override
        public void detachGroup(VfioIommuGroup group) {
            log.add("detach " + group.id());
        }

        @Override
        public long ioctl(int cmd, ByteBuffer arg) {
            log.add("ioctl " + Integer.toHexString(cmd));
            return 7;
        }

        @Override
        public VfioDma dma() {
            return null;
        }

        @Override
        public void release() {
            log.add("release");
        }
    }

    static final class FakeDriver implements VfioIommuDriver {
        final List<FakeIommu> opened = new ArrayList<>();
        boolean failAttach;

        @Override
        public int checkExtension(int extension) {
            return extension == VFIO_TYPE1v2_IOMMU || extension == VFIO_TYPE1_IOMMU ? 1 : 0;
        }

        @Override
        public VfioIommu open(int type, VmAddressSpace vm) {
            FakeIommu iommu = new FakeIommu();
            iommu.failAttach = failAttach;
            opened.add(iommu);
            return iommu;
        }
    }

    /** A device whose files count opens and run their onRelease on close. */
    static final class FakeDevice implements VfioDevice {
        final UUID uuid = UUID.randomUUID();
        int open;
        VfioDeviceContext lastContext;

        @Override
        public UUID uuid() {
            return uuid;
        }

        @Override
        public String name() {
            return uuid.toString();
        }

        @Override
        public java.util.Optional<String> iommuDevice() {
            return java.util.Optional.empty();
        }

        @Override
        public VfioDeviceFile open(FileTable files) {
            throw new UnsupportedOperationException();
        }

        @Override
        public VfioDeviceFile open(FileTable files, VfioDeviceContext context, Runnable onRelease) {
            open++;
            lastContext = context;
            FakeDevice device = this;
            return new VfioDeviceFile() {
                boolean closed;

                public VfioDevice device() { return device; }
                public FileTable files() { return files; }
                public int read(ByteBuffer dst, long pos) { return 0; }
                public int write(ByteBuffer src, long pos) { return 0; }
                public long ioctl(int cmd, ByteBuffer arg) { return 0; }
                public ByteBuffer mmap(long pos, long length) { return null; }

                public void close() {
                    if (!closed) {
                        closed = true;
                        open--;
                        onRelease.run();
                    }
                }
            };
        }
    }

    final VfioCore vfio = new VfioCore();
    final FakeDriver driver = new FakeDriver();
    final FakeDevice device = new FakeDevice();
    final FileTable files = new FileTable();
    final VmAddressSpace vm = new VmAddressSpace("vm0");
    VfioGroupRegistration registration;

    @BeforeEach
    void setUp() {
        vfio.bindIommuDriver(driver);
        registration = vfio.addGroupDevice(device);
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void ioctlNumbersOfContainersAndGroups() {
        assertThat(VFIO_SET_IOMMU).isEqualTo(0x3b66);
        assertThat(VFIO_GROUP_GET_STATUS).isEqualTo(0x3b67);
        assertThat(VFIO_GROUP_SET_CONTAINER).isEqualTo(0x3b68);
        assertThat(VFIO_GROUP_UNSET_CONTAINER).isEqualTo(0x3b69);
        assertThat(VFIO_GROUP_GET_DEVICE_FD).isEqualTo(0x3b6a);
        assertThat(VFIO_IOMMU_GET_INFO).isEqualTo(0x3b70);
        assertThat(VFIO_IOMMU_MAP_DMA).isEqualTo(0x3b71);
        assertThat(VFIO_IOMMU_UNMAP_DMA).isEqualTo(0x3b72);
        assertThat(VFIO_IOMMU_PASID_REQUEST).isEqualTo(0x3b7a);
        assertThat(VFIO_IOMMU_CACHE_INVALIDATE).isEqualTo(0x3b7e);
    }

    @Test
    void aContainerAnswersItsVersionAndTheExtensionsOfItsDrivers() {
        VfioContainer c = vfio.openContainer(vm, files);
        assertThat(c.apiVersion()).isZero();
        assertThat(c.checkExtension(VFIO_TYPE1v2_IOMMU)).isTrue();
        assertThat(c.checkExtension(VFIO_TYPE1_NESTING_IOMMU)).isFalse();
        assertThat(files.get(c.fd(), VfioContainer.class)).isSameAs(c);
    }

    @Test
    void theKernelsOrderingRules() {
        VfioContainer c = vfio.openContainer(vm, files);
        assertErrno(Errno.EINVAL, () -> c.setIommu(VFIO_TYPE1v2_IOMMU));
        assertErrno(Errno.EINVAL, c::iommuInfo);
        VfioGroup g = vfio.openGroup(registration.groupId(), files);
        assertThat(g.status()).isEqualTo(VFIO_GROUP_FLAGS_VIABLE);
        assertErrno(Errno.EINVAL, () -> g.getDevice(device.name()));
        g.setContainer(c);
        assertThat(g.status()).isEqualTo(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
        assertErrno(Errno.EINVAL, () -> g.getDevice(device.name()));
        assertErrno(Errno.EINVAL, () -> g.setContainer(c));
        assertErrno(Errno.ENODEV, () -> c.setIommu(VFIO_TYPE1_NESTING_IOMMU));
        c.setIommu(VFIO_TYPE1v2_IOMMU);
        assertErrno(Errno.EINVAL, () -> c.setIommu(VFIO_TYPE1v2_IOMMU));
        assertThat(driver.opened.get(0).log).containsExactly("attach " + registration.groupId());
        assertThat(c.ioctl(VFIO_IOMMU_MAP_DMA, ByteBuffer.allocate(32))).isEqualTo(7);
        assertErrno(Errno.ENODEV, () -> g.getDevice("no-such-device"));
        VfioDeviceFile file = g.getDevice(device.name());
        assertThat(device.open).isEqualTo(1);
        assertErrno(Errno.EBUSY, g::unsetContainer);
        file.close();
        g.unsetContainer();
        assertThat(driver.opened.get(0).log).containsExactly("attach 0", "ioctl 3b71", "detach 0", "release");
        assertErrno(Errno.EINVAL, g::unsetContainer);
    }

    @Test
    void groupsOpenOnceAndUnknownGroupsAreEnoent() {
        vfio.openGroup(registration.groupId(), files);
        assertErrno(Errno.EBUSY, () -> vfio.openGroup(registration.groupId(), files));
        assertErrno(Errno.ENOENT, () -> vfio.openGroup(99, files));
        assertThat(vfio.groupOf(device.name())).isEqualTo(registration.groupId());
        assertErrno(Errno.ENODEV, () -> vfio.groupOf("nope"));
    }

    @Test
    void setContainerChecksTheFd() {
        VfioGroup g = vfio.openGroup(registration.groupId(), files);
        assertErrno(Errno.EBADF, () -> VfioGroupCodec.setContainer(g, 42));
        int eventFd = files.install(new EventFd());
        assertErrno(Errno.EINVAL, () -> VfioGroupCodec.setContainer(g, eventFd));
        assertErrno(Errno.EFAULT, () -> g.ioctl(VFIO_GROUP_SET_CONTAINER, ByteBuffer.allocate(2)));
        assertErrno(Errno.EFAULT, () -> g.ioctl(VFIO_GROUP_GET_DEVICE_FD, ByteBuffer.wrap(new byte[] { 'a', 'b' })));
        assertErrno(Errno.EINVAL, () -> g.ioctl(VFIO_GROUP_GET_STATUS, ByteBuffer.allocate(8)));
        assertErrno(Errno.ENOTTY, () -> g.ioctl(0x3b7f, ByteBuffer.allocate(8)));
    }

    @Test
    void closingTheGroupWithoutOpenDevicesLeavesTheContainerAndReleasesTheIommu() {
        VfioContainer c = vfio.openContainer(vm, files);
        VfioGroup g = vfio.openGroup(registration.groupId(), files);
        g.setContainer(c);
        c.setIommu(VFIO_TYPE1v2_IOMMU);
        VfioDeviceFile file = g.getDevice(device.name());
        g.close();
        assertThat(driver.opened.get(0).log).doesNotContain("release");
        file.close();
        assertThat(driver.opened.get(0).log).endsWith("detach 0", "release");
        assertErrno(Errno.EBADF, g::status);
        assertThat(vfio.openGroup(registration.groupId(), files).status()).isEqualTo(VFIO_GROUP_FLAGS_VIABLE);
    }

    @Test
    void aFailedAttachLeavesTheContainerWithoutIommu() {
        driver.failAttach = true;
        VfioContainer c = vfio.openContainer(vm, files);
        VfioGroup g = vfio.openGroup(registration.groupId(), files);
        g.setContainer(c);
        assertErrno(Errno.EBUSY, () -> c.setIommu(VFIO_TYPE1v2_IOMMU));
        assertThat(driver.opened.get(0).log).containsExactly("release");
        driver.failAttach = false;
        c.setIommu(VFIO_TYPE1v2_IOMMU);
    }

    @Test
    void whenTheDriverGoesContainersAnswerEnodev() {
        VfioContainer c = vfio.openContainer(vm, files);
        VfioGroup g = vfio.openGroup(registration.groupId(), files);
        g.setContainer(c);
        c.setIommu(VFIO_TYPE1v2_IOMMU);
        vfio.unbindIommuDriver(driver);
        assertThat(driver.opened.get(0).log).endsWith("release");
        assertErrno(Errno.ENODEV, c::iommuInfo);
        assertErrno(Errno.ENODEV, () -> c.setIommu(VFIO_TYPE1v2_IOMMU));
    }

    @Test
    void aRemovedGroupLeavesItsContainerAndItsFileAnswersEnodev() {
        VfioContainer c = vfio.openContainer(vm, files);
        VfioGroup g = vfio.openGroup(registration.groupId(), files);
        g.setContainer(c);
        c.setIommu(VFIO_TYPE1v2_IOMMU);
        registration.remove();
        assertThat(driver.opened.get(0).log).endsWith("detach 0", "release");
        assertErrno(Errno.ENODEV, g::status);
        assertThat(vfio.groups()).isEmpty();
        assertErrno(Errno.EINVAL, c::iommuInfo);
    }

    @Test
    void theDeviceContextGivesTheContainersDma() {
        VfioContainer c = vfio.openContainer(vm, files);
        VfioGroup g = vfio.openGroup(registration.groupId(), files);
        g.setContainer(c);
        c.setIommu(VFIO_TYPE1v2_IOMMU);
        VfioDeviceFile file = g.getDevice(device.name());
        assertThat(device.lastContext).isNotNull();
        assertThat(files.get((int) files.numberOf(file), VfioDeviceFile.class)).isSameAs(file);
    }

    @Test
    void valueIoctlsRejectStructsAndStructIoctlsRejectValues() {
        VfioContainer c = vfio.openContainer(vm, files);
        assertErrno(Errno.EINVAL, () -> c.ioctl(VFIO_GET_API_VERSION, ByteBuffer.allocate(4)));
        VfioGroup g = vfio.openGroup(registration.groupId(), files);
        g.setContainer(c);
        c.setIommu(VFIO_TYPE1v2_IOMMU);
        assertThat(c.ioctl(VFIO_IOMMU_GET_INFO, 0L)).isEqualTo(7);
        c.close();
        assertErrno(Errno.EBADF, c::apiVersion);
    }
}
