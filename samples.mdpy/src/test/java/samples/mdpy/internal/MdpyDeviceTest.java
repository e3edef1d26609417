package samples.mdpy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.testkit.StubMdevDevice;
import vfio.core.VfioGfxPlaneInfo;
import vfio.core.VfioRegions;

/** mdpy: its config capability, a framebuffer read and written where asked, the region plane, the device limit. */
class MdpyDeviceTest {
    final MdpyDevice device = new MdpyDevice(UUID.randomUUID(), MdpyType.VGA);

    int config32(int at) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        device.read(b, VfioRegions.position(VFIO_PCI_CONFIG_REGION_INDEX, at));
        return b.getInt(0);
    }

    int pixel(int offset) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        device.read(b, VfioRegions.position(VFIO_PCI_BAR0_REGION_INDEX, offset));
        return b.getInt(0);
    }

    @Test
    void configSpaceCarriesTheFormatAndSize() {
        assertThat(config32(0)).isEqualTo(0x000f_1b36);
        assertThat(config32(0x34) & 0xff).isEqualTo(0x40);
        assertThat(config32(0x40) & 0xffffff).isEqualTo(0x10_00_09);
        assertThat(config32(0x44)).isEqualTo(DRM_FORMAT_XRGB8888);
        assertThat(config32(0x48)).isEqualTo(640);
        assertThat(config32(0x4c)).isEqualTo(480);
        ByteBuffer ones = ByteBuffer.allocate(4).putInt(0, -1);
        device.write(ones, VfioRegions.position(VFIO_PCI_CONFIG_REGION_INDEX, 0x48));
        assertThat(config32(0x48)).as("read-only").isEqualTo(640);
        device.write(ByteBuffer.allocate(4).putInt(0, -1), VfioRegions.position(VFIO_PCI_CONFIG_REGION_INDEX, 0x10));
        assertThat(config32(0x10)).as("2 MB (640x480x4 rounded up), prefetchable").isEqualTo(0xffe0_0008);
    }

    @Test
    void theFramebufferIsReadAndWrittenWhereAsked() {
        assertThat(pixel(0)).as("the gradient's first row is black").isZero();
        assertThat(pixel(479 * 2560) & 0xff).as("its last near white").isEqualTo(479 * 255 / 480);
        ByteBuffer red = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0xff0000);
        device.write(red, VfioRegions.position(VFIO_PCI_BAR0_REGION_INDEX, 2560 * 10 + 40));
        assertThat(pixel(2560 * 10 + 40)).isEqualTo(0xff0000);
        assertThat(pixel(0)).as("mdpy.c wrote every access at the start; this one did not").isZero();
        device.reset();
        assertThat(pixel(2560 * 10 + 40) & 0xff).isEqualTo(10 * 255 / 480);
    }

    @Test
    void thePlaneIsBar0() {
        assertThat(device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION, 1)).isNull();
        assertThatThrownBy(() -> device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF, 1))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        VfioGfxPlaneInfo plane = device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_REGION, DRM_PLANE_TYPE_PRIMARY);
        assertThat(new int[] { plane.width(), plane.height(), plane.stride(), plane.size(), plane.id() })
                .containsExactly(640, 480, 2560, 2 << 20, VFIO_PCI_BAR0_REGION_INDEX);
        assertThat(device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_REGION, DRM_PLANE_TYPE_CURSOR).enabled()).isFalse();
        assertThat(device.getRegionInfo(0).flags() & VFIO_REGION_INFO_FLAG_MMAP).isNotZero();
        assertThat(device.regionFile(0)).isPresent();
    }

    @Test
    void atMostFourDevices() {
        MdpyParent parent = new MdpyParent();
        for (int i = 0; i < 4; i++) {
            parent.create(MdpyType.HD.spec(), new StubMdevDevice("mdpy", "mdpy-hd"));
        }
        assertThat(parent.availableInstances(MdpyType.VGA.spec())).isZero();
        assertThatThrownBy(() -> parent.create(MdpyType.VGA.spec(), new StubMdevDevice("mdpy", "mdpy-hd")))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOSPC));
    }
}
