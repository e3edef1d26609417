/**
 * vfio-user: the protocol (QEMU docs/interop/vfio-user.rst) by which a VMM drives a PCI
 * device emulated in another process. {@link vfio.user.VfioUserServer} serves mdev-osgi's VFIO
 * mdevs on UNIX sockets; {@link vfio.user.VfioUserClient} drives any vfio-user server from Java.
 */
@Export
@Version("1.0.0")
package vfio.user;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
