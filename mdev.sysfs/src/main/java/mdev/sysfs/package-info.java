/** The mdev bus as the kernel's sysfs tree, mounted over FUSE. */
@Export
@Version("1.1.0")
package mdev.sysfs;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
