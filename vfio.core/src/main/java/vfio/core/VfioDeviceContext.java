package vfio.core;

import org.osgi.annotation.versioning.ProviderType;

/** What a vendor's open is given: the way to guest memory of the container the device is in. */
@ProviderType
public interface VfioDeviceContext {
    /**
     * The DMA access of the device's container. EINVAL when the device was opened outside a
     * container with an IOMMU (as vfio_pin_pages answers without one).
     */
    VfioDma dma();

    /**
     * The guest the device serves: the kernel's group KVM (set by KVM_DEV_VFIO_GROUP_ADD, what
     * vfio-ap's open requires). A container here belongs to one VM, so a device opened through
     * a group in a container serves that VM; opened any other way it serves none.
     */
    default java.util.Optional<VmAddressSpace> guest() {
        return java.util.Optional.empty();
    }
}
