/**
 * mdevctl for mdev-osgi: the command line of mdevctl 1.2 and its persistent definitions
 * ({@code <root>/etc/mdevctl.d/<parent>/<uuid>}), with devices defined {@code auto} started
 * whenever their parent appears.
 */
@Export
@Version("1.0.0")
package mdev.mdevctl;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
