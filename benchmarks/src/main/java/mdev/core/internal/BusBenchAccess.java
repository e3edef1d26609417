package mdev.core.internal;

import mdev.core.MdevBus;
import mdev.core.MdevParent;

/** Lets the benchmarks run the mdev bus without a framework (devices are not published as services). */
public final class BusBenchAccess {
    private BusBenchAccess() {
    }

    public static MdevBus newBus() {
        return new MdevBusCore(new DevicePublisher() {
            @Override
            public Object publish(MdevDeviceImpl device) {
                return device;
            }

            @Override
            public void unpublish(Object token) {
            }
        });
    }

    /** What the bus does when a vendor bundle registers its parent service. */
    public static void addParent(MdevBus bus, MdevParent parent) {
        ((MdevBusCore) bus).addParent(parent);
    }
}
