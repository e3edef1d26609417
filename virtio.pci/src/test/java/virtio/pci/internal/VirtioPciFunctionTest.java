package virtio.pci.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDma;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegions;
import virtio.core.DescriptorChain;
import virtio.core.Virtio;
import virtio.core.VirtioDeviceBase;
import virtio.core.Virtqueue;

/** The transport's registers, features, queue setup and interrupts, against a device that echoes. */
class VirtioPciFunctionTest {
    /** A device of id 3 with two queues: each chain kicked on queue 1 is returned at once. */
    static final class Echo extends VirtioDeviceBase {
        Echo() {
            super(Virtio.ID_CONSOLE, 0, Virtio.bit(Virtio.F_VERSION_1) | Virtio.bit(Virtio.F_RING_EVENT_IDX) | 1, 2, 64,
                    new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
        }

        @Override
        protected void onKick(int index, Virtqueue vq) {
            for (DescriptorChain c = vq.pop(); c != null; c = vq.pop()) {
                vq.push(c, 0);
            }
            notifyUsed(index);
        }

        void changeConfig() {
            synchronized (this) {
                updateConfig(0, new byte[] { 9 });
            }
            kickVq(5 - 5);   // runs the pending config callback
        }
    }

    /** Guest memory: 64 KiB at IOVA 0. */
    final ByteBuffer ram = ByteBuffer.allocate(0x10000).order(ByteOrder.LITTLE_ENDIAN);
    final VfioDma dma = new mdev.testkit.BufferDma(ram);
    final Echo device = new Echo();
    final VirtioPciFunction function = new VirtioPciFunction("echo", device);

    VirtioPciFunctionTest() {
        function.open((VfioDeviceContext) () -> dma);
    }

    long read(int region, int offset, int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        function.read(b, VfioRegions.position(region, offset));
        b.flip();
        return switch (size) {
            case 1 -> b.get() & 0xff;
            case 2 -> b.getShort() & 0xffff;
            case 4 -> b.getInt() & 0xffff_ffffL;
            default -> b.getLong();
        };
    }

    void write(int region, int offset, int size, long value) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < size; i++) {
            b.put((byte) (value >>> (8 * i)));
        }
        function.write(b.flip(), VfioRegions.position(region, offset));
    }

    long common(int offset, int size) {
        return read(VFIO_PCI_BAR4_REGION_INDEX, offset, size);
    }

    void common(int offset, int size, long value) {
        write(VFIO_PCI_BAR4_REGION_INDEX, offset, size, value);
    }

    void negotiate(long features) {
        common(0x14, 1, 0);
        common(0x14, 1, 3);
        common(0x08, 4, 0);
        common(0x0c, 4, features & 0xffff_ffffL);
        common(0x08, 4, 1);
        common(0x0c, 4, features >>> 32);
        common(0x14, 1, 11);
    }

    void setupQueue(int q, int size, long base, int vector) {
        common(0x16, 2, q);
        common(0x18, 2, size);
        common(0x1a, 2, vector);
        common(0x20, 4, base);
        common(0x24, 4, 0);
        common(0x28, 8 - 4, base + 0x400);
        common(0x30, 4, base + 0x800);
        common(0x1c, 2, 1);
    }

    @Test
    void configSpaceNamesAModernVirtioFunctionAndItsStructures() {
        int config = VFIO_PCI_CONFIG_REGION_INDEX;
        assertThat(read(config, 0, 4)).isEqualTo(0x1043_1af4L);
        assertThat(read(config, 0x08, 1)).isEqualTo(1);
        assertThat(read(config, 0x0b, 1)).isEqualTo(0x07);
        assertThat(read(config, 0x06, 2) & 0x10).as("capabilities list").isNotZero();
        int[] types = new int[6];
        for (int cap = (int) read(config, 0x34, 1); cap != 0; cap = (int) read(config, cap + 1, 1)) {
            if (read(config, cap, 1) == 0x09) {
                int type = (int) read(config, cap + 3, 1);
                types[type]++;
                if (type != 5) {   // the PCI-config access window's BAR is the driver's to choose
                    assertThat(read(config, cap + 4, 1)).as("in BAR4").isEqualTo(4);
                }
            } else {
                assertThat(read(config, cap, 1)).as("MSI-X").isEqualTo(0x11);
                assertThat(read(config, cap + 2, 2) & 0x7ff).as("a vector per queue and one for config").isEqualTo(2);
            }
        }
        assertThat(types).containsExactly(0, 1, 1, 1, 1, 1);
        // sizing BAR4 reads back its size mask with the 64-bit prefetchable bits
        write(config, 0x20, 4, 0xffff_ffffL);
        assertThat(read(config, 0x20, 4)).isEqualTo(0xffff_c00cL);
    }

    @Test
    void theTransportOffersAccessPlatformAndHidesRingFeaturesItLacks() {
        common(0x00, 4, 0);
        long lo = common(0x04, 4);
        common(0x00, 4, 1);
        long hi = common(0x04, 4);
        long offered = lo | hi << 32;
        assertThat(offered & Virtio.bit(Virtio.F_ACCESS_PLATFORM)).isNotZero();
        assertThat(offered & Virtio.bit(Virtio.F_RING_EVENT_IDX)).isZero();
        negotiate(Virtio.bit(Virtio.F_VERSION_1) | Virtio.bit(Virtio.F_ACCESS_PLATFORM) | 1);
        assertThat(common(0x14, 1) & 8).as("FEATURES_OK").isEqualTo(8);
        assertThat(device.negotiatedFeatures()).as("the device gets its own").isEqualTo(Virtio.bit(Virtio.F_VERSION_1) | 1);
        negotiate(Virtio.bit(Virtio.F_VERSION_1) | Virtio.bit(Virtio.F_RING_EVENT_IDX));
        assertThat(common(0x14, 1) & 8).as("a feature not offered: FEATURES_OK not kept").isZero();
    }

    @Test
    void intxRaisesTheIsrWhichAReadClearsAndUnmaskSignalsAgainWhileItIsSet() {
        EventFd intx = new EventFd();
        function.setIrqs(VfioIrqSet.trigger(VFIO_PCI_INTX_IRQ_INDEX, 0, intx));
        negotiate(Virtio.bit(Virtio.F_VERSION_1));
        setupQueue(1, 8, 0x1000, 0xffff);
        common(0x14, 1, 15);
        // one chain on queue 1
        ram.putLong(0x1000, 0x3000).putInt(0x1008, 16).putShort(0x100c, (short) 0);
        ram.putShort(0x1404, (short) 0).putShort(0x1402, (short) 1);
        common(0x3000 + 4, 2, 1);
        assertThat(ram.getShort(0x1802)).as("used idx").isEqualTo((short) 1);
        assertThat(intx.read()).isEqualTo(1);
        function.setIrqs(VfioIrqSet.none(VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
        assertThat(intx.read()).as("the ISR is still set: the line is still up").isEqualTo(1);
        assertThat(common(0x1000, 1)).as("ISR: a queue interrupt").isEqualTo(1);
        assertThat(common(0x1000, 1)).as("cleared by the read").isZero();
        function.setIrqs(VfioIrqSet.none(VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
        assertThatThrownBy(intx::read).isInstanceOf(ErrnoException.class);
        device.changeConfig();
        assertThat(common(0x1000, 1)).as("ISR: a config change").isEqualTo(2);
        assertThat(common(0x15, 1)).as("config_generation").isEqualTo(1);
        assertThat(read(VFIO_PCI_BAR4_REGION_INDEX, 0x2000, 1)).isEqualTo(9);
    }

    @Test
    void msixSignalsTheQueuesVectorAndNothingForNoVector() {
        EventFd[] vectors = { new EventFd(), new EventFd(), new EventFd() };
        function.setIrqs(VfioIrqSet.trigger(VFIO_PCI_MSIX_IRQ_INDEX, 0, vectors));
        negotiate(Virtio.bit(Virtio.F_VERSION_1));
        common(0x10, 2, 0);
        setupQueue(1, 8, 0x1000, 2);
        common(0x16, 2, 1);
        assertThat(common(0x1a, 2)).isEqualTo(2);
        common(0x16, 2, 0);
        common(0x1a, 2, 7);
        assertThat(common(0x1a, 2)).as("a vector past the table reads NO_VECTOR").isEqualTo(0xffff);
        common(0x14, 1, 15);
        ram.putLong(0x1000, 0x3000).putInt(0x1008, 16);
        ram.putShort(0x1402, (short) 1);
        common(0x3000 + 4, 4, 1);
        assertThat(vectors[2].count()).isEqualTo(1);
        assertThat(vectors[1].count()).isZero();
        device.changeConfig();
        assertThat(vectors[0].count()).isEqualTo(1);
        assertThat(common(0x1000, 1)).as("no ISR with MSI-X").isZero();
    }

    @Test
    void aLiveQueueIsFixedAndResetForgetsEverything() {
        negotiate(Virtio.bit(Virtio.F_VERSION_1));
        setupQueue(1, 8, 0x1000, 0xffff);
        common(0x16, 2, 1);
        assertThat(common(0x1c, 2)).isEqualTo(1);
        common(0x18, 2, 4);
        assertThat(common(0x18, 2)).as("size of an enabled queue").isEqualTo(8);
        common(0x14, 1, 0);
        assertThat(common(0x14, 1)).isZero();
        assertThat(common(0x1c, 2)).isZero();
        assertThat(common(0x18, 2)).isEqualTo(64);
        common(0x16, 2, 9);
        assertThat(common(0x18, 2)).as("no such queue").isZero();
        assertThat(common(0x12, 2)).isEqualTo(2);
    }

    @Test
    void aQueueOutsideGuestMemoryIsNotEnabled() {
        negotiate(Virtio.bit(Virtio.F_VERSION_1));
        setupQueue(0, 8, 0xff000, 0xffff);
        common(0x16, 2, 0);
        assertThat(common(0x1c, 2)).isZero();
    }

    @Test
    void thePciConfigWindowReachesBar4() {
        int cfg = VFIO_PCI_CONFIG_REGION_INDEX;
        write(cfg, VirtioPciFunction.CAP_PCI_CFG + 4, 1, 4);
        write(cfg, VirtioPciFunction.CAP_PCI_CFG + 8, 4, 0x12);
        write(cfg, VirtioPciFunction.CAP_PCI_CFG + 12, 4, 2);
        assertThat(read(cfg, VirtioPciFunction.CAP_PCI_CFG + 16, 2)).as("num_queues through the window").isEqualTo(2);
    }

    @Test
    void aRemovedFunctionAnswersEnodev() {
        function.markRemoved();
        assertThatThrownBy(() -> common(0x14, 1)).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
    }
}
