package vfio.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** The display uAPI: the plane struct at the kernel's offsets, its validation, dma-buf fds, and pictures. */
class GfxPlaneTest {
    /** A 3x2 XRGB8888 screen with a 16-byte stride, offered as a dma-buf (or a region 0 if asked so). */
    static final class Screen implements VfioDeviceIoctls, VfioGfxIoctls {
        final ByteBuffer memory = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        boolean dmabufs = true;
        boolean on = true;
        int lastPlaneType = -1;

        Screen() {
            int[] pixels = { 0xff0000, 0x00ff00, 0x0000ff, 0xffffff, 0x000000, 0x123456 };
            for (int i = 0; i < 6; i++) {
                memory.putInt((i / 3) * 16 + (i % 3) * 4, pixels[i] | 0xab00_0000);   // X bits are ignored
            }
        }

        @Override
        public VfioGfxPlaneInfo queryGfxPlane(int flags, int drmPlaneType) {
            lastPlaneType = drmPlaneType;
            boolean wantsDmabuf = (flags & VFIO_GFX_PLANE_TYPE_DMABUF) != 0;
            if (wantsDmabuf != dmabufs) {
                throw new ErrnoException(Errno.EINVAL, "not this kind");
            }
            if ((flags & VFIO_GFX_PLANE_TYPE_PROBE) != 0) {
                return null;
            }
            return on ? new VfioGfxPlaneInfo(flags, drmPlaneType, DRM_FORMAT_XRGB8888, 0, 3, 2, 16, 32, 0, 0, -1, -1, 7)
                    : VfioGfxPlaneInfo.disabled(flags, drmPlaneType);
        }

        @Override
        public GfxDmabuf getGfxDmabuf(int id) {
            if (id != 7) {
                throw new ErrnoException(Errno.ENOENT, "no dma-buf " + id);
            }
            return new GfxDmabuf(7, DRM_FORMAT_XRGB8888, 3, 2, 16, memory, Optional.empty(), 0);
        }

        @Override
        public VfioDeviceInfo getInfo() {
            return new VfioDeviceInfo(VFIO_DEVICE_FLAGS_PCI, 9, 5);
        }

        @Override
        public VfioRegionInfo getRegionInfo(int index) {
            return new VfioRegionInfo(index, VFIO_REGION_INFO_FLAG_READ, 32, VfioRegions.position(index, 0));
        }

        @Override
        public VfioIrqInfo getIrqInfo(int index) {
            return new VfioIrqInfo(index, 0, 0);
        }

        @Override
        public void setIrqs(VfioIrqSet set) {
        }

        @Override
        public void reset() {
        }
    }

    final Screen screen = new Screen();
    final FileTable files = new FileTable();
    final VfioDeviceFile file = new VfioDeviceFile() {
        @Override
        public VfioDevice device() {
            return null;
        }

        @Override
        public FileTable files() {
            return files;
        }

        @Override
        public int read(ByteBuffer dst, long pos) {
            int n = dst.remaining();
            dst.put(screen.memory.array(), (int) VfioRegions.offset(pos), n);
            return n;
        }

        @Override
        public int write(ByteBuffer src, long pos) {
            throw new ErrnoException(Errno.EINVAL, "read-only");
        }

        @Override
        public long ioctl(int cmd, ByteBuffer arg) {
            return VfioIoctlCodec.dispatch(cmd, arg, files, screen);
        }

        @Override
        public ByteBuffer mmap(long pos, long length) {
            throw new ErrnoException(Errno.EINVAL, "no mmap");
        }

        @Override
        public void close() {
        }
    };

    static ByteBuffer planeArg(int argsz, int flags, int planeType) {
        return ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putInt(0, argsz).putInt(4, flags).putInt(8, planeType);
    }

    @Test
    void thePlaneIsWrittenAtTheKernelsOffsets() {
        ByteBuffer arg = planeArg(64, VFIO_GFX_PLANE_TYPE_DMABUF, DRM_PLANE_TYPE_PRIMARY);
        assertThat(file.ioctl(VFIO_DEVICE_QUERY_GFX_PLANE, arg)).isZero();
        assertThat(screen.lastPlaneType).isEqualTo(DRM_PLANE_TYPE_PRIMARY);
        assertThat(arg.getInt(12)).isEqualTo(0x34325258);
        assertThat(arg.getLong(16)).isZero();
        assertThat(new int[] { arg.getInt(24), arg.getInt(28), arg.getInt(32), arg.getInt(36) }).containsExactly(3, 2, 16, 32);
        assertThat(new int[] { arg.getInt(48), arg.getInt(52), arg.getInt(56) }).containsExactly(-1, -1, 7);
        assertThat(VFIO_DEVICE_QUERY_GFX_PLANE).isEqualTo(0x3b72);
        assertThat(VFIO_DEVICE_GET_GFX_DMABUF).isEqualTo(0x3b73);
    }

    @Test
    void malformedQueriesAreRefusedBeforeTheDeviceSeesThem() {
        for (int flags : new int[] { 0, VFIO_GFX_PLANE_TYPE_PROBE, VFIO_GFX_PLANE_TYPE_DMABUF | VFIO_GFX_PLANE_TYPE_REGION, 8,
            VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF | VFIO_GFX_PLANE_TYPE_REGION }) {
            assertThatThrownBy(() -> file.ioctl(VFIO_DEVICE_QUERY_GFX_PLANE, planeArg(64, flags, 1)))
                    .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        }
        assertThatThrownBy(() -> file.ioctl(VFIO_DEVICE_QUERY_GFX_PLANE, planeArg(59, VFIO_GFX_PLANE_TYPE_DMABUF, 1)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        assertThatThrownBy(() -> file.ioctl(VFIO_DEVICE_QUERY_GFX_PLANE, ByteBuffer.allocate(40)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EFAULT));
        assertThat(screen.lastPlaneType).as("the device saw none of them").isEqualTo(-1);
        ByteBuffer probe = planeArg(60, VFIO_GFX_PLANE_TYPE_PROBE | VFIO_GFX_PLANE_TYPE_DMABUF, 1);
        assertThat(file.ioctl(VFIO_DEVICE_QUERY_GFX_PLANE, probe)).as("argsz of the minsz").isZero();
    }

    @Test
    void aDmabufIsAFileOfTheCallersTable() {
        int fd = file.getGfxDmabuf(7);
        GfxDmabuf dmabuf = files.get(fd, GfxDmabuf.class);
        assertThat(dmabuf.pixels().getInt(4) & 0xffffff).isEqualTo(0x00ff00);
        assertThat(dmabuf.pixels().isReadOnly()).isTrue();
        assertThatThrownBy(() -> file.getGfxDmabuf(8)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
        assertThatThrownBy(() -> file.ioctl(VFIO_DEVICE_GET_GFX_DMABUF, ByteBuffer.allocate(2)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EFAULT));
    }

    @Test
    void aDeviceWithoutPlanesAnswersEnotty() {
        VfioDeviceIoctls plain = new Screen();
        VfioDeviceIoctls notGfx = new VfioDeviceIoctls() {
            @Override
            public VfioDeviceInfo getInfo() {
                return plain.getInfo();
            }

            @Override
            public VfioRegionInfo getRegionInfo(int index) {
                return plain.getRegionInfo(index);
            }

            @Override
            public VfioIrqInfo getIrqInfo(int index) {
                return plain.getIrqInfo(index);
            }

            @Override
            public void setIrqs(VfioIrqSet set) {
            }

            @Override
            public void reset() {
            }
        };
        assertThatThrownBy(() -> VfioIoctlCodec.dispatch(VFIO_DEVICE_QUERY_GFX_PLANE, planeArg(64, 2, 1), files, notGfx))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTTY));
    }

    @Test
    void aPictureIsTakenByDmabufOrRegionAndWrittenAsAPng() throws Exception {
        VfioDisplay.Image byDmabuf = VfioDisplay.capture(file);
        assertThat(byDmabuf.rgb()).containsExactly(0xff0000, 0x00ff00, 0x0000ff, 0xffffff, 0x000000, 0x123456);
        assertThatThrownBy(() -> files.get(3, Object.class)).as("the dma-buf's fd was closed")
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBADF));
        screen.dmabufs = false;
        assertThat(VfioDisplay.capture(file).rgb()).isEqualTo(byDmabuf.rgb());

        ByteArrayOutputStream png = new ByteArrayOutputStream();
        VfioDisplay.writePng(byDmabuf, png);
        java.awt.image.BufferedImage read = ImageIO.read(new ByteArrayInputStream(png.toByteArray()));
        assertThat(read.getWidth()).isEqualTo(3);
        assertThat(read.getRGB(2, 1) & 0xffffff).isEqualTo(0x123456);
        assertThat(read.getRGB(0, 0) & 0xffffff).isEqualTo(0xff0000);

        screen.on = false;
        assertThatThrownBy(() -> VfioDisplay.capture(file)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENODATA));
    }
}
