/**
 * {@code /dev/uvirtio} (seed 004): a process opens it, describes the requests it expects on
 * named virtqueues and the replies to give (UV_DEV_EXPECT), then creates a virtio device
 * (UV_DEV_CREATE) that guest drivers bind on the virtio bus. Typed records and the
 * byte-exact structs of the seed's uapi header, with its ioctl numbers.
 */
@Export
@Version("1.0.0")
package virtio.uvirtio;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
