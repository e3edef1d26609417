/**
 * A test kit for device bundles, inside a running framework: {@link mdev.testkit.osgi.MdevHost}
 * creates devices on any parent, opens them through a type1 container as a VMM does
 * ({@link mdev.testkit.osgi.Vmm}), maps guest memory, drives regions and interrupts, stops and
 * starts bundles while threads use devices ({@link mdev.testkit.osgi.Load}), and checks that a
 * test left nothing behind ({@link mdev.testkit.osgi.Leaks}); {@link mdev.testkit.osgi.MdevExtension}
 * hands a host to each JUnit 5 test and checks for leaks after it.
 */
@Export
@Version("1.1.0")
package mdev.testkit.osgi;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
