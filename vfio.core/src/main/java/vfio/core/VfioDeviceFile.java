package vfio.core;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An open VFIO device: the file descriptor that VFIO_GROUP_GET_DEVICE_FD returns. Each call is
 * forwarded to the device's ops. After {@link #close} calls answer EBADF; after the device has
 * gone (its parent or class driver stopped) they answer ENODEV.
 */
@ProviderType
public interface VfioDeviceFile extends AutoCloseable {
    VfioDevice device();

    /** The caller's file table given at open. */
    FileTable files();

    /** pread: {@code dst.remaining()} bytes at {@code pos}; returns bytes read. */
    int read(ByteBuffer dst, long pos);

    /** pwrite: {@code src.remaining()} bytes at {@code pos}; returns bytes written. */
    int write(ByteBuffer src, long pos);

    /** The raw ioctl: {@code arg} holds the struct (may be null for ioctls without one). */
    long ioctl(int cmd, ByteBuffer arg);

    ByteBuffer mmap(long pos, long length);

    /** The device's {@link VfioDeviceOps#regionFile} for region {@code index}. */
    default java.util.Optional<java.io.FileDescriptor> regionFile(int index) {
        return java.util.Optional.empty();
    }

    /** Releases this open; idempotent. */
    @Override
    void close();

    default VfioDeviceInfo getInfo() {
        return VfioIoctlCodec.getInfo(this);
    }

    default VfioRegionInfo getRegionInfo(int index) {
        return VfioIoctlCodec.getRegionInfo(this, index);
    }

    default VfioIrqInfo getIrqInfo(int index) {
        return VfioIoctlCodec.getIrqInfo(this, index);
    }

    default void setIrqs(VfioIrqSet set) {
        VfioIoctlCodec.setIrqs(this, set);
    }

    /** VFIO_DEVICE_QUERY_GFX_PLANE; null for a successful probe. */
    default VfioGfxPlaneInfo queryGfxPlane(int flags, int drmPlaneType) {
        return VfioIoctlCodec.queryGfxPlane(this, flags, drmPlaneType);
    }

    /** VFIO_DEVICE_GET_GFX_DMABUF: the fd of the dma-buf in this file's table. */
    default int getGfxDmabuf(int dmabufId) {
        return VfioIoctlCodec.getGfxDmabuf(this, dmabufId);
    }

    default void reset() {
        VfioIoctlCodec.reset(this);
    }

    /** Reads {@code count} bytes at {@code offset} of region {@code index}. */
    default byte[] readRegion(int index, long offset, int count) {
        byte[] data = new byte[count];
        read(ByteBuffer.wrap(data), VfioRegions.position(index, offset));
        return data;
    }

    /** Writes {@code data} at {@code offset} of region {@code index}. */
    default void writeRegion(int index, long offset, byte... data) {
        write(ByteBuffer.wrap(data), VfioRegions.position(index, offset));
    }
}
