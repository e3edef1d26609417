package samples.uvirtio;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A virtio-gpu device as the guest driver offers it, one service per bound device (property
 * {@code virtio.device.name}).
 */
@ProviderType
public interface VirtioGpu {
    /** One scanout of VIRTIO_GPU_RESP_OK_DISPLAY_INFO. */
    record Scanout(int index, int x, int y, int width, int height, boolean enabled) {
    }

    String device();

    /** Sends VIRTIO_GPU_CMD_GET_DISPLAY_INFO on the control queue; returns the enabled scanouts. */
    List<Scanout> displayInfo();
}
