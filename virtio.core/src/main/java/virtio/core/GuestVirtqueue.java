package virtio.core;

import java.nio.ByteBuffer;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** A virtqueue as the guest driver uses it (Linux's virtqueue_add/kick/get_buf). */
@ProviderType
public interface GuestVirtqueue {
    int index();

    int size();

    /** Most bytes one buffer of the queue can hold. */
    int bufferSize();

    /**
     * Exposes buffers to the device: {@code out} are read by the device, then one writable
     * buffer per entry of {@code inLengths}. ENOSPC when the ring has no free descriptors,
     * EINVAL for a buffer over {@link #bufferSize()} or no buffers at all.
     */
    void add(List<ByteBuffer> out, List<Integer> inLengths, Object token);

    /** Notifies the device; returns false if the device is not ready. */
    boolean kick();

    /** The next used buffer, or null: its token, the bytes the device wrote, and those bytes. */
    UsedBuffer poll();

    /** A buffer the device has used. */
    record UsedBuffer(Object token, int length, byte[] written) {
    }
}
