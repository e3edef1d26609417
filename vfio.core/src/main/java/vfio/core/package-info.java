/**
 * The VFIO device API that the vfio-mdev class driver and vendor parent drivers share: the
 * per-device ops of seed 001 ({@code struct vfio_mdev_device_ops}), the opened device file,
 * eventfds, the region offset encoding, and byte-exact codecs of the device ioctls of
 * {@code include/uapi/linux/vfio.h}.
 */
@Export
@Version("1.6.0")
package vfio.core;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
