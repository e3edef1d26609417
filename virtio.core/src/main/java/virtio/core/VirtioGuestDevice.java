package virtio.core;

import java.nio.ByteBuffer;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A virtio device as a guest driver holds it (Linux's {@code struct virtio_device} with its
 * config ops): status handshake, features, config space, virtqueues in guest memory.
 */
@ProviderType
public interface VirtioGuestDevice {
    String name();

    int deviceId();

    /** The features the device offers. */
    long deviceFeatures();

    /**
     * ACKNOWLEDGE, DRIVER, the driver's subset of the device's features (VERSION_1 required),
     * FEATURES_OK, and a re-read of the status: EINVAL if the device did not keep FEATURES_OK
     * or the driver asked for a feature the device lacks. Returns the negotiated features.
     */
    long negotiate(long driverFeatures);

    /** Reads config space, retrying while the generation changes (§2.4.1). */
    void readConfig(int offset, ByteBuffer dst);

    void writeConfig(int offset, ByteBuffer src);

    /**
     * Sets up one queue per name, of the largest size the device allows (capped at 256), with
     * its used-buffer callback (Linux's find_vqs).
     */
    List<GuestVirtqueue> findVqs(List<String> names, List<VirtioCallback> callbacks);

    /** DRIVER_OK: the device is live. */
    void driverOk();

    int status();

    /** Writes status 0 and forgets the queues. */
    void reset();
}
