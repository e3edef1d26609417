package vfio.core;

import org.osgi.annotation.versioning.ProviderType;

/** A device added to a group; {@link #remove} is vfio_del_group_dev. */
@ProviderType
public interface VfioGroupRegistration {
    int groupId();

    /**
     * Removes the device and its group: the group leaves its container and later calls on its
     * file answer ENODEV. Call after the device's own files are shut down.
     */
    void remove();
}
