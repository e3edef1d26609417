/**
 * vfio-ccw's uAPI (include/uapi/linux/vfio_ccw.h) and the s390 channel formats it carries
 * (ORB, CCW, SCSW, IRB), byte for byte and big-endian as on s390.
 */
@Export
@Version("1.0.0")
package vendor.ccw;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
