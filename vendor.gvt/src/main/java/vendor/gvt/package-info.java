/**
 * What a simulated GVT-g physical GPU shows about itself: its graphics-memory pools and the
 * slice each vGPU holds.
 */
@Export
@Version("1.0.0")
package vendor.gvt;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
