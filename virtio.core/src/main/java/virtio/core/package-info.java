/**
 * The virtio 1.1 device model (status, features, config with generation, reset), split
 * virtqueues laid out in guest memory, the device ops of the virtio-mdev series, and the
 * guest side: a virtio bus where drivers matched by device id bind devices, find their
 * virtqueues, add buffers, kick, and get used buffers back.
 */
@Export
@Version("1.3.0")
package virtio.core;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
