package virtio.pci.internal;

import virtio.core.Virtio;

/**
 * The names Linux's drivers give their queues (find_vqs), which a virtio-pci transport never
 * sees: devices that act by queue name (uvirtio's expectations) get them from here.
 */
final class QueueNames {
    private QueueNames() {
    }

    static String of(int deviceId, int index, int queueCount) {
        return switch (deviceId) {
            // virtio_net: input.N / output.N per pair, then the control queue
            case Virtio.ID_NET -> index == queueCount - 1 && queueCount % 2 == 1 ? "control"
                    : (index % 2 == 0 ? "input." : "output.") + index / 2;
            // virtio_gpu: control, cursor
            case Virtio.ID_GPU -> index == 0 ? "control" : index == 1 ? "cursor" : "queue." + index;
            // virtio_console: receiveq/transmitq of port 0, then the control queues
            case Virtio.ID_CONSOLE -> index == 0 ? "input" : index == 1 ? "output" : "queue." + index;
            case Virtio.ID_BLOCK -> "req." + index;
            default -> "queue." + index;
        };
    }
}
