package vfio.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** A callback the vendor leaves out answers EINVAL, as vfio_mdev.c does for a NULL op. */
class VfioDeviceOpsTest {
    final VfioDeviceOps none = new VfioDeviceOps() {
    };

    static void assertEinval(ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    }

    @Test
    void missingOpsAnswerEinvalAndAMissingReleaseDoesNothing() {
        assertEinval(none::open);
        assertEinval(() -> none.read(ByteBuffer.allocate(1), 0));
        assertEinval(() -> none.write(ByteBuffer.allocate(1), 0));
        assertEinval(() -> none.ioctl(Vfio.VFIO_DEVICE_RESET, null, new FileTable()));
        assertEinval(() -> none.mmap(0, 4096));
        none.release();
    }
}
