package samples.mtty.internal;

import java.util.UUID;

import vfio.core.VfioDeviceOps;

/** Lets the benchmarks build an mtty device without its parent. */
public final class MttyBenchAccess {
    private MttyBenchAccess() {
    }

    public static VfioDeviceOps newSinglePortDevice() {
        MttyDevice device = new MttyDevice(UUID.randomUUID(), 1);
        device.open();
        return device;
    }
}
