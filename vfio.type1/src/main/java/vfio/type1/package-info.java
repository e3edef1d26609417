/**
 * What the simulated platform IOMMU below the type1 backend holds, for tests and the shell to
 * see exactly what happened: domains and their devices, PASIDs and their owners, and failure
 * injection.
 */
@Export
@Version("1.0.0")
package vfio.type1;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
