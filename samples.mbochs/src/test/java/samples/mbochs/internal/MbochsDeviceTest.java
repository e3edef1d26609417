package samples.mbochs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.GfxDmabuf;
import vfio.core.VfioGfxPlaneInfo;
import vfio.core.VfioRegionInfo;
import vfio.core.VfioRegions;

/** mbochs as Linux's bochs driver and a VMM see it: registers, EDID, planes and dma-bufs, the memory budget. */
class MbochsDeviceTest {
    final MbochsDevice device = new MbochsDevice(UUID.randomUUID(), MbochsType.MEDIUM, 1024, 768);

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    long read(int region, int offset, int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        device.read(b, VfioRegions.position(region, offset));
        return switch (size) {
            case 1 -> b.get(0) & 0xff;
            case 2 -> b.getShort(0) & 0xffff;
            default -> b.getInt(0) & 0xffff_ffffL;
        };
    }

    void write(int region, int offset, int size, long value) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < size; i++) {
            b.put(i, (byte) (value >>> (8 * i)));
        }
        device.write(b, VfioRegions.position(region, offset));
    }

    void vbe(int index, int value) {
        write(VFIO_PCI_BAR2_REGION_INDEX, 0x500 + 2 * index, 2, value);
    }

    /** What bochs_hw_setmode writes for a mode at the start of video memory. */
    void setMode(int width, int height, int yOffset) {
        vbe(MbochsDevice.VBE_ENABLE, 0);
        vbe(MbochsDevice.VBE_BPP, 32);
        vbe(MbochsDevice.VBE_XRES, width);
        vbe(MbochsDevice.VBE_YRES, height);
        vbe(MbochsDevice.VBE_VIRT_WIDTH, width);
        vbe(MbochsDevice.VBE_Y_OFFSET, yOffset);
        vbe(MbochsDevice.VBE_ENABLE, 0x41);
    }

    @Test
    void configSpaceIsBochsDisplays() {
        assertThat(read(VFIO_PCI_CONFIG_REGION_INDEX, 0, 4)).isEqualTo(0x1111_1234L);
        assertThat(read(VFIO_PCI_CONFIG_REGION_INDEX, 0x0a, 2)).isEqualTo(0x0380);
        assertThat(read(VFIO_PCI_CONFIG_REGION_INDEX, 0x2c, 4)).isEqualTo(0x1100_1af4L);
        write(VFIO_PCI_CONFIG_REGION_INDEX, 0x10, 4, 0xffff_ffffL);
        assertThat(read(VFIO_PCI_CONFIG_REGION_INDEX, 0x10, 4)).as("16 MB, prefetchable").isEqualTo(0xff00_0008L);
        write(VFIO_PCI_CONFIG_REGION_INDEX, 0x18, 4, 0xffff_ffffL);
        assertThat(read(VFIO_PCI_CONFIG_REGION_INDEX, 0x18, 4)).isEqualTo(0xffff_f000L);
        assertThat(device.getInfo().numRegions()).isEqualTo(10);
    }

    @Test
    void dispiRegistersAnswerAsQemusStdvga() {
        assertThat(read(VFIO_PCI_BAR2_REGION_INDEX, 0x500, 2)).isEqualTo(0xb0c5);
        assertThat(read(VFIO_PCI_BAR2_REGION_INDEX, 0x500 + 2 * 10, 2)).as("video memory in 64K").isEqualTo(256);
        vbe(MbochsDevice.VBE_XRES, 640);
        assertThat(read(VFIO_PCI_BAR2_REGION_INDEX, 0x502, 2)).isEqualTo(640);
        vbe(MbochsDevice.VBE_ID, 0x1234);
        assertThat(read(VFIO_PCI_BAR2_REGION_INDEX, 0x500, 2)).as("read-only").isEqualTo(0xb0c5);
        assertThat(read(VFIO_PCI_BAR2_REGION_INDEX, 0x600, 4)).as("no QEMU extended registers").isZero();
        device.reset();
        assertThat(read(VFIO_PCI_BAR2_REGION_INDEX, 0x502, 2)).isZero();
    }

    @Test
    void theEdidRegionAndItsMirrorInTheMmioBar() {
        VfioRegionInfo info = device.getRegionInfo(MbochsDevice.EDID_REGION);
        assertThat(info.caps()).containsExactly(new VfioRegionInfo.Type(VFIO_REGION_TYPE_GFX, VFIO_REGION_SUBTYPE_GFX_EDID));
        int edid = MbochsDevice.EDID_REGION;
        assertThat(read(edid, 0, 4)).as("edid_offset").isEqualTo(0x800);
        assertThat(read(edid, 4, 4)).as("edid_max_size").isEqualTo(0x400);
        assertThat(read(edid, 8, 4)).as("edid_size").isEqualTo(128);
        assertThat(read(edid, 12, 4)).as("max_xres").isEqualTo(1920);
        assertThat(read(edid, 20, 4)).as("link up").isEqualTo(1);
        assertThat(read(edid, 0x800, 4)).as("header").isEqualTo(0xffff_ff00L);
        byte[] blob = new byte[128];
        int sum = 0;
        for (int i = 0; i < 128; i++) {
            blob[i] = (byte) read(edid, 0x800 + i, 1);
            sum += blob[i] & 0xff;
            assertThat(read(VFIO_PCI_BAR2_REGION_INDEX, i, 1)).isEqualTo(blob[i] & 0xff);
        }
        assertThat(sum % 256).as("checksum").isZero();
        assertThat(Edid.preferredMode(blob)).containsExactly(1024, 768);
        // the VMM may take the link down and set its own EDID; the registers are checked
        write(edid, 20, 4, 2);
        assertThat(read(VFIO_PCI_BAR2_REGION_INDEX, 0, 4)).as("no EDID while the link is down").isZero();
        assertErrno(Errno.EINVAL, () -> write(edid, 20, 4, 3));
        assertErrno(Errno.EINVAL, () -> write(edid, 8, 4, 0x401));
        assertErrno(Errno.EINVAL, () -> write(edid, 8, 2, 1));
        assertErrno(Errno.EINVAL, () -> read(edid, 2, 4));
        write(edid, 12, 4, 99);
        assertThat(read(edid, 12, 4)).as("max_xres is read-only").isEqualTo(1920);
        device.setResolution(1920, 1080);
        assertThat(read(edid, 20, 4)).isEqualTo(1);
    }

    @Test
    void aPlaneIsOfferedAsADmabufPerMode() {
        assertThat(device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY)).isNull();
        assertErrno(Errno.EINVAL, () -> device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_REGION, 1));
        assertErrno(Errno.EINVAL, () -> device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_REGION, 1));
        VfioGfxPlaneInfo none = device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY);
        assertThat(none.enabled()).isFalse();

        setMode(1024, 768, 0);
        VfioGfxPlaneInfo plane = device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY);
        assertThat(plane.drmFormat()).isEqualTo(DRM_FORMAT_XRGB8888);
        assertThat(new int[] { plane.width(), plane.height(), plane.stride(), plane.size(), plane.id() })
                .containsExactly(1024, 768, 4096, 4096 * 768, 1);
        assertThat(device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY).id()).as("same mode").isEqualTo(1);
        assertThat(device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_CURSOR).enabled()).isFalse();

        // the guest draws: the dma-buf shows the same bytes
        write(VFIO_PCI_BAR0_REGION_INDEX, 4096 + 8, 4, 0x00ff8040);
        GfxDmabuf dmabuf = device.getGfxDmabuf(1);
        assertThat(dmabuf.pixels().getInt(4096 + 8)).isEqualTo(0x00ff8040);
        assertThat(dmabuf.file()).as("a file another process can map").isPresent();

        setMode(800, 600, 768);   // double buffering: a second mode, a second dma-buf
        VfioGfxPlaneInfo second = device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY);
        assertThat(second.id()).isEqualTo(2);
        assertThat(device.getGfxDmabuf(2).fileOffset()).isEqualTo(3200L * 768);
        assertErrno(Errno.ENOENT, () -> device.getGfxDmabuf(3));
        setMode(800, 600, 1);     // 3200 bytes in: not page-aligned
        int unaligned = device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY).id();
        assertErrno(Errno.EINVAL, () -> device.getGfxDmabuf(unaligned));
    }

    @Test
    void modesTheMemoryCannotHoldShowNothing() {
        setMode(4096, 4096, 0);
        assertThat(device.mode()).isNull();
        setMode(32, 32, 0);
        assertThat(device.mode()).isNull();
        setMode(1024, 768, 0);
        vbe(MbochsDevice.VBE_BPP, 16);
        assertThat(device.mode()).as("only 32 bpp").isNull();
    }

    @Test
    void theBudgetCountsAvailableInstances() {
        MbochsParent parent = new MbochsParent();
        assertThat(parent.availableInstances(MbochsType.SMALL.spec())).isEqualTo(64);
        assertThat(parent.availableInstances(MbochsType.LARGE.spec())).isEqualTo(4);
        assertThat(MbochsType.SMALL.allows(800, 600)).isTrue();
        assertThat(MbochsType.SMALL.allows(1024, 768)).isFalse();
        assertThat(MbochsType.LARGE.allows(3840, 2160)).isTrue();
    }

    @Test
    void aRemovedDeviceAnswersEnodev() {
        device.markRemoved();
        assertErrno(Errno.ENODEV, () -> read(VFIO_PCI_BAR2_REGION_INDEX, 0x500, 2));
        assertErrno(Errno.ENODEV, () -> device.queryGfxPlane(VFIO_GFX_PLANE_TYPE_DMABUF, 1));
    }
}
