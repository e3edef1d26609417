/**
 * Logging for mdev-osgi bundles: {@link mdev.log.Logs#of(Class)} gives a class its logger,
 * which logs through the OSGi Log Service as the class's own bundle (so levels are set per
 * bundle with the standard {@code org.osgi.service.log.admin|<bundle>} configurations), and
 * {@link mdev.log.LogConsole} lets an interactive console take the lines meant for the screen.
 */
@Export
@Version("1.0.0")
package mdev.log;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
