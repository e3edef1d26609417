package vfio.core;

import static vfio.core.Vfio.*;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32;
import java.util.zip.DeflaterOutputStream;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * Pictures of what a guest shows on a display device (one with {@link VfioGfxIoctls}): its
 * primary plane, taken through the display uAPI as a VMM takes it (a dma-buf if the device
 * offers them, else the plane's region), and written as a PNG.
 */
public final class VfioDisplay {
    private static final int CHUNK = 64 * 1024;

    private VfioDisplay() {
    }

    /** A plane's pixels as 0xRRGGBB, row by row. */
    public record Image(int width, int height, int[] rgb) {
        public Image {
            if (width <= 0 || height <= 0 || rgb.length != width * height) {
                throw new IllegalArgumentException(width + "x" + height + " with " + rgb.length + " pixels");
            }
        }

        public int pixel(int x, int y) {
            return rgb[y * width + x];
        }
    }

    /**
     * The primary plane of an open device. ENOTTY for a device without display planes,
     * ENODATA while the guest shows none, EINVAL for a format other than XRGB8888.
     */
    public static Image capture(VfioDeviceFile file) {
        if (supports(file, VFIO_GFX_PLANE_TYPE_DMABUF)) {
            VfioGfxPlaneInfo plane = enabled(VfioIoctlCodec.queryGfxPlane(file, VFIO_GFX_PLANE_TYPE_DMABUF,
                    DRM_PLANE_TYPE_PRIMARY));
            int fd = VfioIoctlCodec.getGfxDmabuf(file, plane.id());
            try {
                GfxDmabuf dmabuf = file.files().get(fd, GfxDmabuf.class);
                return decode(dmabuf.pixels(), plane);
            } finally {
                file.files().close(fd);
            }
        }
        VfioGfxPlaneInfo plane = enabled(VfioIoctlCodec.queryGfxPlane(file, VFIO_GFX_PLANE_TYPE_REGION,
                DRM_PLANE_TYPE_PRIMARY));
        int length = Math.multiplyExact(plane.stride(), plane.height());
        ByteBuffer bytes = ByteBuffer.allocate(length);
        for (int at = 0; at < length; at += CHUNK) {
            file.read(bytes.slice(at, Math.min(CHUNK, length - at)), VfioRegions.position(plane.id(), at));
        }
        return decode(bytes, plane);
    }

    private static boolean supports(VfioDeviceFile file, int kind) {
        try {
            VfioIoctlCodec.queryGfxPlane(file, VFIO_GFX_PLANE_TYPE_PROBE | kind, DRM_PLANE_TYPE_PRIMARY);
            return true;
        } catch (ErrnoException e) {
            if (e.errno() == Errno.EINVAL) {
                return false;
            }
            throw e;
        }
    }

    private static VfioGfxPlaneInfo enabled(VfioGfxPlaneInfo plane) {
        if (!plane.enabled()) {
            throw new ErrnoException(Errno.ENODATA, "the guest shows no primary plane");
        }
        return plane;
    }

    /** XRGB8888: each pixel a little-endian u32 0xXXRRGGBB, {@code stride} bytes a row. */
    static Image decode(ByteBuffer bytes, VfioGfxPlaneInfo plane) {
        if (plane.drmFormat() != DRM_FORMAT_XRGB8888) {
            throw new ErrnoException(Errno.EINVAL, "plane format 0x" + Integer.toHexString(plane.drmFormat())
                    + " is not XRGB8888");
        }
        int w = plane.width();
        int h = plane.height();
        if ((long) plane.stride() < 4L * w || (long) plane.stride() * h > bytes.capacity()) {
            throw new ErrnoException(Errno.EINVAL, "plane " + w + "x" + h + " stride " + plane.stride()
                    + " does not fit its " + bytes.capacity() + " bytes");
        }
        ByteBuffer le = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int[] rgb = new int[w * h];
        for (int y = 0; y < h; y++) {
            int row = y * plane.stride();
            for (int x = 0; x < w; x++) {
                rgb[y * w + x] = le.getInt(row + 4 * x) & 0xff_ffff;
            }
        }
        return new Image(w, h, rgb);
    }

    /** A PNG (RGB, 8 bits a channel, no interlace) of {@code image}. */
    public static void writePng(Image image, OutputStream out) throws IOException {
        DataOutputStream png = new DataOutputStream(out);
        png.write(new byte[] { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' });
        ByteBuffer header = ByteBuffer.allocate(13).putInt(image.width()).putInt(image.height())
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(png, "IHDR", header.array());
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (DeflaterOutputStream zlib = new DeflaterOutputStream(compressed)) {
            byte[] row = new byte[1 + 3 * image.width()];   // filter type 0, then R, G, B
            for (int y = 0; y < image.height(); y++) {
                for (int x = 0; x < image.width(); x++) {
                    int p = image.pixel(x, y);
                    row[1 + 3 * x] = (byte) (p >> 16);
                    row[2 + 3 * x] = (byte) (p >> 8);
                    row[3 + 3 * x] = (byte) p;
                }
                zlib.write(row);
            }
        }
        chunk(png, "IDAT", compressed.toByteArray());
        chunk(png, "IEND", new byte[0]);
        png.flush();
    }

    /** length, type, data, CRC-32 of type and data. */
    private static void chunk(DataOutputStream png, String type, byte[] data) throws IOException {
        byte[] typeBytes = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        png.writeInt(data.length);
        png.write(typeBytes);
        png.write(data);
        png.writeInt((int) crc.getValue());
    }
}
