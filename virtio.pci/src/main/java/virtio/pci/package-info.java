/**
 * The virtio-pci front: which virtio devices are given to VMs as virtio-pci functions (VFIO
 * devices) instead of being driven on the in-framework virtio bus.
 */
@Export
@Version("1.0.0")
package virtio.pci;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
