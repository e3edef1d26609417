package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceRegistration;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevConstants;
import mdev.core.MdevParent;
import vfio.core.FileTable;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioRegions;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;

/** What QEMU does: container for a VM, group, type1, guest memory mapped, device opened. */
class ContainerIT extends BusTest {
    static final long GUEST_RAM_VADDR = 0x7f00_0000_0000L;
    static final long GUEST_RAM_SIZE = 4 << 20;

    @InjectService
    VfioService vfio;

    ServiceRegistration<MdevParent> dmaParent;
    final FileTable files = new FileTable();
    final VmAddressSpace vm = new VmAddressSpace("guest");
    final ByteBuffer ram = vm.allocate(GUEST_RAM_VADDR, GUEST_RAM_SIZE);

    @BeforeEach
    void registerTestParent() {
        dmaParent = context.registerService(MdevParent.class, new DmaTestParent(),
                new java.util.Hashtable<>(Map.of(MdevConstants.PARENT, "dmatest")));
        Fixture.awaitParent(bus, "dmatest");
    }

    @AfterEach
    void unregisterTestParent() {
        dmaParent.unregister();
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    /** The QEMU sequence; returns the device file. */
    private VfioDeviceFile openInContainer(UUID uuid, VfioContainer container) {
        Fixture.vfioDevice(context, uuid);
        VfioGroup group = vfio.openGroup(vfio.groupOf(uuid.toString()), files);
        assertThat(group.status() & VFIO_GROUP_FLAGS_VIABLE).isNotZero();
        group.setContainer(container);
        container.setIommu(VFIO_TYPE1v2_IOMMU);
        return group.getDevice(uuid.toString());
    }

    @Test
    void theVendorReadsGuestMemoryByIova() {
        UUID uuid = UUID.randomUUID();
        bus.create("dmatest", "dmatest-1", uuid);
        VfioContainer container = vfio.openContainer(vm, files);
        assertThat(container.apiVersion()).isEqualTo(VFIO_API_VERSION);
        assertThat(container.checkExtension(VFIO_TYPE1v2_IOMMU)).isTrue();
        VfioDeviceFile device = openInContainer(uuid, container);
        assertThat(container.iommuInfo().iovaRanges()).hasSize(2);

        container.mapDma(GUEST_RAM_VADDR, 0, GUEST_RAM_SIZE, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        ram.put(0x2345, "guest data".getBytes(StandardCharsets.US_ASCII));
        device.writeRegion(0, 0, command(0x2345, 10));
        assertThat(new String(device.readRegion(0, 0x100, 10), StandardCharsets.US_ASCII)).isEqualTo("guest data");

        assertThatThrownBy(() -> device.writeRegion(0, 0, command(GUEST_RAM_SIZE, 4)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EFAULT));
        device.close();
    }

    @Test
    void anMttyDeviceInAContainerWithGuestMemoryMapped() {
        UUID uuid = UUID.randomUUID();
        bus.create("mtty", "mtty-2", uuid);
        VfioContainer container = vfio.openContainer(vm, files);
        VfioDeviceFile uart = openInContainer(uuid, container);
        container.mapDma(GUEST_RAM_VADDR, 0, GUEST_RAM_SIZE, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        assertThat(files.get((int) files.numberOf(uart), VfioDeviceFile.class)).isSameAs(uart);
        uart.writeRegion(1, 0, (byte) 'q');
        assertThat(uart.readRegion(1, 0, 1)).containsExactly('q');
        assertErrno(Errno.EBUSY, () -> bus.remove(uuid));
        uart.close();
        assertThat(container.unmapDma(0, GUEST_RAM_SIZE)).isEqualTo(GUEST_RAM_SIZE);
    }

    @Test
    void anUnmapOverAPinnedPageAsksTheVendorToUnpinFirst() {
        UUID uuid = UUID.randomUUID();
        bus.create("dmatest", "dmatest-1", uuid);
        VfioContainer container = vfio.openContainer(vm, files);
        VfioDeviceFile device = openInContainer(uuid, container);
        container.mapDma(GUEST_RAM_VADDR, 0x10_0000, 0x10_0000, VFIO_DMA_MAP_FLAG_READ);
        ByteBuffer pin = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0x10_3000);
        device.write(pin, VfioRegions.position(0, 0x10));
        assertThat(container.unmapDma(0x10_0000, 0x10_0000)).isEqualTo(0x10_0000);
        assertErrno(Errno.EFAULT, () -> device.writeRegion(0, 0, command(0x10_3000, 1)));
        device.close();
    }

    @Test
    void theOpenByUuidPathHasNoDma() {
        UUID uuid = UUID.randomUUID();
        bus.create("dmatest", "dmatest-1", uuid);
        assertErrno(Errno.EINVAL, () -> Fixture.vfioDevice(context, uuid).open(files));
    }

    @Test
    void stoppingVfioType1ReleasesEveryMappingAndContainersAnswerEnodev() throws Exception {
        Bundle type1 = Fixture.bundle(context, "vfio.type1");
        UUID uuid = UUID.randomUUID();
        bus.create("dmatest", "dmatest-1", uuid);
        VfioContainer container = vfio.openContainer(vm, files);
        VfioDeviceFile device = openInContainer(uuid, container);
        container.mapDma(GUEST_RAM_VADDR, 0, GUEST_RAM_SIZE, VFIO_DMA_MAP_FLAG_READ);
        try {
            type1.stop();
            assertErrno(Errno.ENODEV, container::iommuInfo);
            assertErrno(Errno.ENODEV, () -> container.mapDma(GUEST_RAM_VADDR, 0, 0x1000, VFIO_DMA_MAP_FLAG_READ));
            assertErrno(Errno.ENODEV, () -> device.writeRegion(0, 0, command(0, 1)));
        } finally {
            type1.start();
        }
        device.close();
        VfioContainer fresh = vfio.openContainer(vm, new FileTable());
        assertThat(fresh.checkExtension(VFIO_TYPE1v2_IOMMU)).isTrue();
    }

    @Test
    void removingTheDeviceTakesItsGroupOutOfTheContainer() {
        UUID uuid = UUID.randomUUID();
        bus.create("dmatest", "dmatest-1", uuid);
        VfioContainer container = vfio.openContainer(vm, files);
        int groupId = vfio.groupOf(uuid.toString());
        VfioDeviceFile device = openInContainer(uuid, container);
        device.close();
        bus.remove(uuid);
        assertThat(vfio.groups()).doesNotContain(groupId);
        assertErrno(Errno.EINVAL, container::iommuInfo);
    }

    private static byte[] command(long iova, long length) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(iova).putLong(length).array();
    }
}
