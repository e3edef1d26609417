/**
 * The simulated AP bus as an administrator drives it: /sys/bus/ap/apmask and aqmask, read and
 * written in the kernel's text formats.
 */
@Export
@Version("1.0.0")
package vendor.ap;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
