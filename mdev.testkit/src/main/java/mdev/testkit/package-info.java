/** Test doubles for unit tests of code that uses the mdev bus. */
@Export
@Version("1.0.0")
package mdev.testkit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
