package vfio.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** Group ioctl arguments byte for byte, from include/uapi/linux/vfio.h. */
class VfioGroupCodecTest {
    static void assertErrno(Errno errno, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void groupStatusIsArgszThenFlags() {
        byte[] bytes = { 8, 0, 0, 0, 0, 0, 0, 0 };
        VfioGroupCodec.putStatus(ByteBuffer.wrap(bytes), Vfio.VFIO_GROUP_FLAGS_VIABLE | Vfio.VFIO_GROUP_FLAGS_CONTAINER_SET);
        assertThat(bytes).containsExactly(8, 0, 0, 0, 3, 0, 0, 0);
        assertErrno(Errno.EINVAL, () -> VfioGroupCodec.putStatus(ByteBuffer.wrap(new byte[] { 7, 0, 0, 0, 0, 0, 0, 0 }), 1));
        assertErrno(Errno.EFAULT, () -> VfioGroupCodec.putStatus(ByteBuffer.wrap(new byte[] { 8, 0, 0, 0 }), 1));
    }

    @Test
    void setContainerTakesALittleEndianInt32Fd() {
        assertThat(VfioGroupCodec.containerFd(ByteBuffer.wrap(new byte[] { 0x34, 0x12, 0, 0 }))).isEqualTo(0x1234);
        assertErrno(Errno.EFAULT, () -> VfioGroupCodec.containerFd(ByteBuffer.wrap(new byte[] { 1, 0 })));
    }

    @Test
    void getDeviceFdTakesANulTerminatedName() {
        ByteBuffer arg = VfioGroupCodec.deviceNameArg("83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
        assertThat(arg.remaining()).isEqualTo(37);
        assertThat(arg.get(36)).isZero();
        assertThat(VfioGroupCodec.deviceName(arg)).isEqualTo("83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
        assertErrno(Errno.EFAULT, () -> VfioGroupCodec.deviceName(ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII))));
        byte[] long4k = new byte[5000];
        java.util.Arrays.fill(long4k, (byte) 'a');
        assertErrno(Errno.EINVAL, () -> VfioGroupCodec.deviceName(ByteBuffer.wrap(long4k)));
    }

    @Test
    void pasidRequestAndQuotaLayouts() {
        ByteBuffer alloc = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        alloc.putInt(0, 20).putInt(4, 1).putInt(8, 5).putInt(12, 9);
        VfioType1Codec.PasidRequest request = VfioType1Codec.decodePasidRequest(alloc);
        assertThat(request).isEqualTo(new VfioType1Codec.PasidRequest(true, 5, 9, 0));
        VfioType1Codec.putPasidResult(alloc, 7);
        assertThat(alloc.array()).containsExactly(20, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 9, 0, 0, 0, 7, 0, 0, 0);
        ByteBuffer free = ByteBuffer.wrap(new byte[] { 12, 0, 0, 0, 2, 0, 0, 0, 0x21, 0, 0, 0 });
        assertThat(VfioType1Codec.decodePasidRequest(free)).isEqualTo(new VfioType1Codec.PasidRequest(false, 0, 0, 0x21));
        ByteBuffer quota = ByteBuffer.wrap(new byte[] { 12, 0, 0, 0, 0, 0, 0, 0, (byte) 0xe8, 3, 0, 0 });
        assertThat(VfioType1Codec.decodeQuota(quota)).isEqualTo(1000);
    }

    @Test
    void mapAndUnmapLayouts() {
        byte[] map = new byte[32];
        ByteBuffer b = ByteBuffer.wrap(map).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, 32).putInt(4, 3).putLong(8, 0x7f00_0000_0000L).putLong(16, 0x10_0000).putLong(24, 0x20_0000);
        assertThat(VfioType1Codec.decodeMap(b)).isEqualTo(new VfioType1Codec.DmaMap(3, 0x7f00_0000_0000L, 0x10_0000, 0x20_0000));
        byte[] unmap = { 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0 };
        ByteBuffer u = ByteBuffer.wrap(unmap);
        assertThat(VfioType1Codec.decodeUnmap(u)).containsExactly(0x10_0000, 0x20_0000);
        VfioType1Codec.putUnmapped(u, 0x1000);
        assertThat(unmap).containsExactly(24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0);
    }
}
