package samples.mvnet;

import java.util.concurrent.TimeUnit;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A network interface of the guest virtio-net driver, one service per bound virtio-net device
 * (property {@code virtio.device.name}). Calls answer ENODEV once the device has gone.
 */
@ProviderType
public interface NetInterface {
    String device();

    /** The MAC address from the device's config space. */
    byte[] mac();

    /** Queues a frame on TX (1..1514 bytes). */
    void send(byte[] frame);

    /** The next frame received on RX, or null after the timeout. */
    byte[] receive(long timeout, TimeUnit unit) throws InterruptedException;
}
