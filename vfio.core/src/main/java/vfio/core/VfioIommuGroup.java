package vfio.core;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** An IOMMU group as the IOMMU backend sees it: its number and its devices. */
@ProviderType
public interface VfioIommuGroup {
    int id();

    /** The VFIO devices in the group (one for an mdev group). */
    List<VfioDevice> devices();
}
