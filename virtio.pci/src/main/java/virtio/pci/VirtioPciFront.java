package virtio.pci;

import java.util.Map;
import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Chooses, per virtio device, the front it gets (as a user picks a vDPA device's bus driver):
 * the in-framework virtio bus, where guest drivers of this framework bind it (the default), or
 * a virtio-pci function, a VFIO device that a VMM opens (vfio-user serves it by its UUID) and a
 * real guest's virtio_pci driver binds. Assignments are by the device's name on the virtio bus
 * and outlive the device: when it goes, its function goes (open files answer ENODEV); when a
 * device of that name comes back, so does its function.
 */
@ProviderType
public interface VirtioPciFront {
    /** Configuration Admin factory PID: one configuration per assignment, properties {@code device} and {@code uuid}. */
    String FACTORY_PID = "virtio.pci.front";

    /**
     * Gives {@code device} to VMs as a virtio-pci function named {@code uuid} (null: the mdev's
     * own UUID, for a VIRTIO mdev, named {@code mdev:<uuid>} on the bus, present or not yet). The device's guest driver on the virtio bus lets it go first.
     * EEXIST if the device or the UUID is assigned already; EINVAL for no UUID and no mdev.
     */
    void assign(String device, UUID uuid);

    /**
     * Gives {@code device} back to the virtio bus. EBUSY while a VMM has its function open;
     * ENOENT if it is not assigned.
     */
    void unassign(String device);

    /** Assigned devices and the UUIDs of their functions. */
    Map<String, UUID> assignments();

    /** Whether the function of an assigned device exists now (its device is on the bus). */
    boolean present(String device);
}
