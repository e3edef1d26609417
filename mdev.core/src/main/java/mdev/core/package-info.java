/**
 * The mdev bus: parent drivers, their types, mediated devices created and removed by UUID,
 * the class id and device ops of each device, and the class drivers that bind them.
 * Mirrors the kernel's drivers/vfio/mdev (mdev_core.c, mdev_sysfs.c, mdev_driver.c) and
 * seed 001 ("mdev: introduce device specific ops").
 */
@Export
@Version("1.3.0")
package mdev.core;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
