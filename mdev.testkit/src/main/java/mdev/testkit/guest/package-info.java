/**
 * Real Linux guests for tests of device bundles: {@link mdev.testkit.guest.LinuxGuest} boots
 * Debian's kernel in Debian's QEMU on vfio-user sockets and runs a script in the guest.
 */
@Export
@Version("1.0.0")
package mdev.testkit.guest;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
