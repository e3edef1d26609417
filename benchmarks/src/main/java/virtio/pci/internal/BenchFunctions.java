package virtio.pci.internal;

import java.util.UUID;

import vfio.core.VfioDevice;
import virtio.core.VirtioDeviceOps;

/** A virtio-pci function over a device, as the front publishes one, for benchmarks outside OSGi. */
public final class BenchFunctions {
    private BenchFunctions() {
    }

    public static VfioDevice virtioPci(UUID uuid, VirtioDeviceOps device) {
        return new VirtioPciDevice(uuid, new VirtioPciFunction("bench", device));
    }

    /** Where a driver notifies queue {@code q}: its offset in BAR4. */
    public static int notifyOffset(int q) {
        return VirtioPciFunction.NOTIFY + VirtioPciFunction.NOTIFY_MULTIPLIER * q;
    }
}
