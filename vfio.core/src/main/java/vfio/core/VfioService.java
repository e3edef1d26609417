package vfio.core;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * VFIO itself (drivers/vfio/vfio.c): {@code /dev/vfio/vfio} opens containers,
 * {@code /dev/vfio/<group>} opens groups, and class drivers add the devices of their groups.
 */
@ProviderType
public interface VfioService {
    /** open("/dev/vfio/vfio") by a process of {@code vm}; the container is installed in {@code files}. */
    VfioContainer openContainer(VmAddressSpace vm, FileTable files);

    /** open("/dev/vfio/&lt;id&gt;"): ENOENT for no such group, EBUSY if it is already open. */
    VfioGroup openGroup(int groupId, FileTable files);

    /** The groups there are, by number. */
    List<Integer> groups();

    /** The group of a device by its VFIO name (an mdev's UUID); ENODEV if none has it. */
    int groupOf(String deviceName);

    /**
     * vfio_add_group_dev: a class driver makes {@code device} reachable through a new IOMMU
     * group of its own (each mdev gets one, as mdev_attach_iommu gives it).
     */
    VfioGroupRegistration addGroupDevice(VfioDevice device);
}
