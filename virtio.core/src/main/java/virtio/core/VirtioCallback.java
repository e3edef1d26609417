package virtio.core;

import org.osgi.annotation.versioning.ConsumerType;

/** A callback a device runs: used buffers on a queue, or a config change. */
@ConsumerType
@FunctionalInterface
public interface VirtioCallback {
    void fire();
}
