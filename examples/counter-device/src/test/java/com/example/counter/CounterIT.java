package com.example.counter;

import static org.assertj.core.api.Assertions.assertThat;
import static vfio.core.Vfio.VFIO_PCI_BAR0_REGION_INDEX;
import static vfio.core.Vfio.VFIO_PCI_CONFIG_REGION_INDEX;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import mdev.core.Errno;
import mdev.core.MdevDevice;
import mdev.testkit.osgi.Load;
import mdev.testkit.osgi.MdevExtension;
import mdev.testkit.osgi.MdevHost;
import mdev.testkit.osgi.Vmm;
import vfio.core.VfioDeviceFile;

/**
 * counter-device inside Felix, tested with mdev.testkit: each test gets an MdevHost, and after
 * it the kit checks that no device, open, descriptor or thread was left behind.
 */
@ExtendWith(MdevExtension.class)
class CounterIT {
    static final String BUNDLE = "counter-device";

    private static int count(VfioDeviceFile file) {
        return ByteBuffer.wrap(file.readRegion(VFIO_PCI_BAR0_REGION_INDEX, 0, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @Test
    void aVmmCountsItsWrites(MdevHost host) {
        MdevDevice device = host.create(CounterParent.NAME, "counter-1");
        Vmm vmm = host.vmm("vm", 1 << 20);
        VfioDeviceFile file = vmm.open(device.uuid());
        assertThat(file.readRegion(VFIO_PCI_CONFIG_REGION_INDEX, 0, 4)).containsExactly(0x36, 0x1b, 0xff, 0x00);
        for (int i = 0; i < 5; i++) {
            file.writeRegion(VFIO_PCI_BAR0_REGION_INDEX, 8L * i, (byte) 1);
        }
        assertThat(count(file)).isEqualTo(5);
        file.reset();
        assertThat(count(file)).isZero();
    }

    @Test
    void fourDevicesAtMost(MdevHost host) {
        for (int i = 0; i < 4; i++) {
            host.create(CounterParent.NAME, "counter-1");
        }
        assertThat(host.bus().types(CounterParent.NAME).get(0).availableInstances()).isZero();
        MdevHost.fails(Errno.ENOSPC, () -> host.create(CounterParent.NAME, "counter-1"));
    }

    @Test
    void stoppingTheBundleUnderLoadEndsItsDevicesCleanlyAndStartingItBringsThemBack(MdevHost host) throws Exception {
        MdevDevice device = host.create(CounterParent.NAME, "counter-1");
        Vmm vmm = host.vmm("vm", 1 << 20);
        VfioDeviceFile file = vmm.open(device.uuid());
        Load load = host.load(2, thread -> file.writeRegion(VFIO_PCI_BAR0_REGION_INDEX, 0, (byte) thread));
        while (load.rounds() < 1000) {
            Thread.onSpinWait();
        }
        host.stop(BUNDLE);
        assertThat(host.bus().device(device.uuid())).isEmpty();
        MdevHost.fails(Errno.ENODEV, () -> count(file));
        load.close();   // fails if any write failed otherwise than ENODEV
        assertThat(load.refused()).as("writes refused once the device went").isPositive();

        host.start(BUNDLE);
        host.awaitParent(CounterParent.NAME);
        MdevDevice again = host.create(CounterParent.NAME, "counter-1");
        assertThat(count(host.vmm("vm2", 1 << 20).open(again.uuid()))).isZero();
    }
}
