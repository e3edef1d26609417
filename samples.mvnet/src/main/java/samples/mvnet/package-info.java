/**
 * What the sample's guest virtio-net driver offers for each device it binds: a network
 * interface that sends and receives Ethernet frames.
 */
@Export
@Version("1.0.0")
package samples.mvnet;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
