/**
 * The uvirtio-vga sample of seed 004 and what its guest side offers: a virtio-gpu device made
 * from user space through /dev/uvirtio, and a guest driver that reports its displays.
 */
@Export
@Version("1.0.0")
package samples.uvirtio;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
