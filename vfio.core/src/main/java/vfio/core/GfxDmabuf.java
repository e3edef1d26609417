package vfio.core;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * What VFIO_DEVICE_GET_GFX_DMABUF hands out, as a file in the caller's {@link FileTable}: the
 * pages of one plane. The kernel gives a dma-buf, a file of the plane's pages another driver
 * (a GPU, a display server) imports; here it is the plane's bytes ({@link #pixels}, shared
 * with the device, not a copy) and, when the device keeps them in a file, that file and the
 * plane's offset in it, which another process (QEMU over vfio-user) maps instead.
 */
public record GfxDmabuf(int id, int drmFormat, int width, int height, int stride, ByteBuffer pixels,
        Optional<FileDescriptor> file, long fileOffset) {
    public GfxDmabuf {
        pixels = pixels.asReadOnlyBuffer();
    }

    /** The plane's bytes, read-only and little-endian, from position 0 (a duplicate each call). */
    @Override
    public ByteBuffer pixels() {
        return pixels.duplicate().clear().order(java.nio.ByteOrder.LITTLE_ENDIAN);
    }
}
