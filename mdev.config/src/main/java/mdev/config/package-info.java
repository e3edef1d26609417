/**
 * A host composed from configuration: a directory of OSGi Configurator JSON files whose
 * configurations are applied to Configuration Admin and kept in step with the files.
 */
@Export
@Version("1.0.0")
package mdev.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
