package virtio.pci.internal;

import java.util.UUID;

import vfio.core.GuardedVfioDevice;

/**
 * The VFIO device of a virtio-pci function. It takes no open reference of its own: the virtio
 * device is held (its mdev answers EBUSY to removal) while the VM's driver uses it, by the
 * device's handle, as for a driver on the virtio bus.
 */
final class VirtioPciDevice extends GuardedVfioDevice {
    final VirtioPciFunction function;

    VirtioPciDevice(UUID uuid, VirtioPciFunction function) {
        super(uuid, function);
        this.function = function;
    }

    @Override
    protected void takeOpenReference() {
    }

    @Override
    protected void dropOpenReference() {
    }
}
