package vfio.core;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ConsumerType;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The per-device callbacks of a VFIO mediated device ({@code struct vfio_mdev_device_ops} of
 * seed 001), set by the parent with {@code MdevDevice.setDeviceOps} at create. A callback the
 * vendor does not implement answers EINVAL, as vfio_mdev.c does for a NULL op; a missing
 * release does nothing.
 */
@ConsumerType
public interface VfioDeviceOps {
    /** The device is opened. */
    default void open() {
        throw missing("open");
    }

    /**
     * The device is opened with its context: vendors that reach guest memory keep
     * {@code context.dma()} for this open. By default, {@link #open()}.
     */
    default void open(VfioDeviceContext context) {
        open();
    }

    /** The last reference of one open is closed. */
    default void release() {
    }

    /**
     * Reads {@code dst.remaining()} bytes at {@code pos} ({@code region index << 40 | offset})
     * into {@code dst}; returns the number of bytes read.
     */
    default int read(ByteBuffer dst, long pos) {
        throw missing("read");
    }

    /** Writes {@code src.remaining()} bytes at {@code pos}; returns the number written. */
    default int write(ByteBuffer src, long pos) {
        throw missing("write");
    }

    /**
     * A device ioctl. {@code arg} holds the ioctl's struct, little-endian, from position 0,
     * and is written back in place as the kernel's copy_to_user would; {@code files} is the
     * caller's file table, where eventfd numbers passed in the struct are looked up.
     */
    default long ioctl(int cmd, ByteBuffer arg, FileTable files) {
        throw missing("ioctl");
    }

    /** Maps {@code length} bytes of a region at {@code pos}; returns the shared buffer. */
    default ByteBuffer mmap(long pos, long length) {
        throw missing("mmap");
    }

    /**
     * A file whose bytes at offset {@code x} are region {@code index}'s bytes at {@code x} for
     * its mmap-able parts, for processes that map the region themselves (a vfio-user client);
     * empty when the region's memory is not in such a file.
     */
    default java.util.Optional<java.io.FileDescriptor> regionFile(int index) {
        return java.util.Optional.empty();
    }

    private static ErrnoException missing(String op) {
        return new ErrnoException(Errno.EINVAL, "the device has no " + op + " op");
    }
}
