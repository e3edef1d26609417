package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDisplay;
import vfio.core.VfioGroup;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;

/**
 * The display samples in Felix, driven the way a guest driver and a VMM drive them: mdpy's
 * framebuffer drawn through VFIO and its region plane read back; mbochs's mode set through the
 * dispi registers, its dma-buf plane read back; and mbochs's bundle stopped under an open display.
 */
class DisplayIT extends BusTest {
    @InjectService
    VfioService vfio;

    VfioDeviceFile open(UUID uuid) {
        FileTable files = new FileTable();
        VfioContainer container = vfio.openContainer(new VmAddressSpace("vm"), files);
        VfioGroup group = Fixture.groupInContainer(context, vfio, uuid, container, files);
        return group.getDevice(uuid.toString());
    }

    static void put32(VfioDeviceFile file, int region, long offset, int value) {
        file.writeRegion(region, offset, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value).array());
    }

    @Test
    void whatIsDrawnIntoMdpysFramebufferIsItsPlane() {
        UUID uuid = UUID.randomUUID();
        bus.create("mdpy", "mdpy-vga", uuid);
        assertThat(bus.readAttribute(uuid, "resolution")).isEqualTo("640x480\n");
        VfioDeviceFile file = open(uuid);
        // what mdpy-fb would do: read the mode from config space, then draw a diagonal
        int width = ByteBuffer.wrap(file.readRegion(VFIO_PCI_CONFIG_REGION_INDEX, 0x48, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertThat(width).isEqualTo(640);
        for (int i = 0; i < 480; i++) {
            put32(file, VFIO_PCI_BAR0_REGION_INDEX, (long) i * 2560 + 4L * i, 0x00ffee);
        }
        VfioDisplay.Image image = VfioDisplay.capture(file);
        assertThat(image.width()).isEqualTo(640);
        assertThat(image.pixel(100, 100)).isEqualTo(0x00ffee);
        int gray = 200 * 255 / 480;
        assertThat(image.pixel(10, 200)).as("the gradient around it").isEqualTo(gray << 16 | gray << 8 | gray);
        file.close();
    }

    @Test
    void mbochsShowsTheModeItsRegistersSetAndGoesWithItsBundle() throws Exception {
        UUID uuid = UUID.randomUUID();
        bus.create("mbochs", "mbochs-medium", uuid);
        VfioDeviceFile file = open(uuid);
        assertThatThrownBy(() -> VfioDisplay.capture(file)).as("no mode yet")
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENODATA));
        int[][] regs = { { 4, 0 }, { 3, 32 }, { 1, 1024 }, { 2, 768 }, { 6, 1024 }, { 9, 0 }, { 4, 0x41 } };
        for (int[] r : regs) {
            file.writeRegion(VFIO_PCI_BAR2_REGION_INDEX, 0x500 + 2L * r[0], (byte) r[1], (byte) (r[1] >> 8));
        }
        put32(file, VFIO_PCI_BAR0_REGION_INDEX, 4096L * 5 + 4 * 7, 0x123456);
        VfioDisplay.Image image = VfioDisplay.capture(file);
        assertThat(image.width()).isEqualTo(1024);
        assertThat(image.pixel(7, 5)).isEqualTo(0x123456);

        Bundle mbochs = Fixture.bundle(context, "samples.mbochs");
        mbochs.stop();
        try {
            assertThatThrownBy(() -> VfioDisplay.capture(file)).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
            assertThat(bus.devices()).isEmpty();
        } finally {
            mbochs.start();
        }
        Fixture.awaitParent(bus, "mbochs");
        assertThat(bus.types("mbochs")).extracting(t -> t.availableInstances()).containsExactly(64L, 16L, 4L);
        file.close();
    }
}
