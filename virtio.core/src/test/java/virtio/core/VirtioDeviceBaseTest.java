package virtio.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/** Status, features, config and queue rules of the device model. */
class VirtioDeviceBaseTest {
    static final long VERSION_1 = Virtio.bit(Virtio.F_VERSION_1);

    static final class Echo extends VirtioDeviceBase {
        int kicks;

        Echo() {
            super(Virtio.ID_CONSOLE, 0x1af4, VERSION_1 | 1, 1, 64, new byte[] { 1, 2, 3, 4 });
        }

        @Override
        protected void onKick(int index, Virtqueue vq) {
            kicks++;
            for (DescriptorChain c = vq.pop(); c != null; c = vq.pop()) {
                vq.push(c, 0);
            }
            notifyUsed(index);
        }

        void change() {
            synchronized (this) {
                updateConfig(0, new byte[] { 9 });
            }
        }
    }

    final Echo device = new Echo();

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void featuresOkNeedsVersion1AndDriverOkNeedsFeaturesOk() {
        device.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER);
        device.setFeatures(1);
        device.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_FEATURES_OK);
        assertThat(device.getStatus() & Virtio.STATUS_FEATURES_OK).as("refused without VERSION_1").isZero();
        device.setStatus(device.getStatus() | Virtio.STATUS_DRIVER_OK);
        assertThat(device.getStatus() & Virtio.STATUS_DRIVER_OK).isZero();
        assertErrno(Errno.EINVAL, () -> device.setFeatures(VERSION_1 | 2));
        device.setFeatures(VERSION_1);
        device.setStatus(device.getStatus() | Virtio.STATUS_FEATURES_OK);
        assertThat(device.getStatus() & Virtio.STATUS_FEATURES_OK).isNotZero();
        assertErrno(Errno.EBUSY, () -> device.setFeatures(VERSION_1 | 1));
        device.setStatus(0);
        assertThat(device.getStatus()).isZero();
        assertThat(device.negotiatedFeatures()).isZero();
    }

    @Test
    void configReadsAreBoundedAndChangesBumpTheGeneration() {
        ByteBuffer two = ByteBuffer.allocate(2);
        device.getConfig(2, two);
        assertThat(two.array()).containsExactly(3, 4);
        assertErrno(Errno.EINVAL, () -> device.getConfig(3, ByteBuffer.allocate(2)));
        assertErrno(Errno.EINVAL, () -> device.getConfig(-1, ByteBuffer.allocate(1)));
        assertErrno(Errno.EINVAL, () -> device.setConfig(0, ByteBuffer.allocate(1)));
        AtomicInteger configChanges = new AtomicInteger();
        device.setConfigCallback(configChanges::incrementAndGet);
        int generation = device.getGeneration();
        device.change();
        assertThat(device.getGeneration()).isEqualTo(generation + 1);
    }

    @Test
    void queuesAreCheckedAndABrokenRingNeedsAReset() {
        VmAddressSpace memory = new VmAddressSpace("guest");
        memory.allocate(0x10000, 0x10000);
        device.setGuestMemory(memory);
        assertErrno(Errno.EINVAL, () -> device.setVqNum(1, 8));
        assertErrno(Errno.EINVAL, () -> device.setVqNum(0, 128));
        assertErrno(Errno.EINVAL, () -> device.setVqNum(0, 12));
        assertErrno(Errno.EINVAL, () -> device.setVqReady(0, true));
        device.setVqNum(0, 8);
        device.setVqAddress(0, 0x10000, 0x11000, 0x12000);
        AtomicInteger used = new AtomicInteger();
        device.setVqCallback(0, used::incrementAndGet);
        device.setVqReady(0, true);
        assertErrno(Errno.EBUSY, () -> device.setVqNum(0, 4));
        device.kickVq(0);
        assertThat(device.kicks).as("no kick before DRIVER_OK").isZero();
        device.setFeatures(VERSION_1);
        device.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_FEATURES_OK | Virtio.STATUS_DRIVER_OK);
        device.kickVq(0);
        assertThat(device.kicks).isEqualTo(1);
        assertThat(used).hasValue(1);
        memory.putShort(0x11000 + 2, 100);
        device.kickVq(0);
        assertThat(device.getStatus() & Virtio.STATUS_DEVICE_NEEDS_RESET).isNotZero();
    }
}
