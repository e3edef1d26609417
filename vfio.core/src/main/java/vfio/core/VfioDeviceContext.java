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
}
