package virtio.uvirtio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/** The seed's uapi structs, byte for byte, with sizes and offsets worked out by hand. */
class UvirtioCodecTest {
    static final long MEM = 0x10_0000;

    final VmAddressSpace process = new VmAddressSpace("process");

    UvirtioCodecTest() {
        process.allocate(MEM, 0x10_0000);
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void ioctlNumbersAndSizes() {
        // _IOW('V', 1, 24 bytes): dir 1 << 30 | size << 16 | 'V' << 8 | nr
        assertThat(UvirtioCodec.UV_DEV_CREATE).isEqualTo(0x4018_5601);
        // 8 x (64 + 8 x 48) = 3584 = 0xe00
        assertThat(UvirtioCodec.UV_DEV_EXPECT).isEqualTo(0x4e00_5602);
        assertThat(UvirtioCodec.SETUP_SIZE).isEqualTo(24);
        assertThat(UvirtioCodec.BLOCK_SIZE).isEqualTo(48);
        assertThat(UvirtioCodec.EXPECT_SIZE).isEqualTo(448);
        assertThat(UvirtioCodec.EXPECTS_SIZE).isEqualTo(3584);
    }

    ByteBuffer setup(long features, long configAddr, int configLen, int flags, int id) {
        ByteBuffer b = le(24);
        b.putLong(0, features).putLong(8, configAddr).putShort(16, (short) configLen).putShort(18, (short) flags).putInt(20, id);
        return b;
    }

    @Test
    void setupReadsTheConfigFromTheProcess() {
        process.write(MEM, ByteBuffer.wrap(new byte[] { 1, 2, 3 }));
        UvirtioSetup setup = UvirtioCodec.decodeSetup(setup(1L << 32, MEM, 3, 1, 16), process);
        assertThat(setup.features()).isEqualTo(1L << 32);
        assertThat(setup.config()).containsExactly(1, 2, 3);
        assertThat(setup.stick()).isTrue();
        assertThat(setup.id()).isEqualTo(16);
    }

    @Test
    void setupLimits() {
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.decodeSetup(setup(0, MEM, 0, 0, 1), process));
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.decodeSetup(setup(0, 0, 4, 0, 1), process));
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.decodeSetup(setup(0, MEM, 1025, 0, 1), process));
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.decodeSetup(setup(0, MEM, 4, 2, 1), process));
        assertErrno(Errno.EFAULT, () -> UvirtioCodec.decodeSetup(setup(0, 0x9000_0000L, 4, 0, 1), process));
        assertErrno(Errno.EFAULT, () -> UvirtioCodec.decodeSetup(le(20), process));
        assertThat(UvirtioCodec.decodeSetup(setup(0, MEM, 1024, 0, 1), process).config()).hasSize(1024);
    }

    /** Expect i, block j of an expect struct. */
    static int block(int i, int j) {
        return i * 448 + 64 + j * 48;
    }

    @Test
    void expectDecodesNamesBlocksRulesAndTheirData() {
        process.write(MEM, ByteBuffer.wrap(new byte[] { 0, 1, 0, 0, 9, 8 }));
        ByteBuffer b = le(3584);
        b.put(0, "control".getBytes(StandardCharsets.US_ASCII));
        int b0 = block(0, 0);
        b.putInt(b0, 24).putShort(b0 + 4, (short) 1).putLong(b0 + 8, MEM);
        b.putShort(b0 + 16, (short) 0).putShort(b0 + 18, (short) 4);   // rule 0: off 0 len 4
        b.putShort(b0 + 20, (short) 20).putShort(b0 + 22, (short) 2);  // rule 1: off 20 len 2
        int b1 = block(0, 1);
        b.putInt(b1, 408).putShort(b1 + 4, (short) 2);
        UvirtioExpect expect = UvirtioCodec.decodeExpect(b, process);
        assertThat(expect.expects()).hasSize(1);
        UvirtioExpect.Expect e = expect.expects().get(0);
        assertThat(e.vqName()).isEqualTo("control");
        assertThat(e.blocks()).hasSize(2);
        assertThat(e.blocks().get(0).rules()).hasSize(2);
        assertThat(e.blocks().get(0).rules().get(0).data()).containsExactly(0, 1, 0, 0);
        assertThat(e.blocks().get(0).rules().get(1).off()).isEqualTo(20);
        assertThat(e.blocks().get(0).rules().get(1).data()).containsExactly(9, 8);
        assertThat(e.blocks().get(1).rules()).isEmpty();
    }

    @Test
    void expectLimitsAndDefectsOfTheSeed() {
        ByteBuffer pastBlock = le(3584);
        pastBlock.put(0, (byte) 'q');
        pastBlock.putInt(block(0, 0), 8).putLong(block(0, 0) + 8, MEM).putShort(block(0, 0) + 16, (short) 6)
                .putShort(block(0, 0) + 18, (short) 4);
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.decodeExpect(pastBlock, process));

        ByteBuffer unterminated = le(3584);
        for (int i = 0; i < 64; i++) {
            unterminated.put(i, (byte) 'x');
        }
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.decodeExpect(unterminated, process));

        ByteBuffer badData = le(3584);
        badData.put(0, (byte) 'q');
        badData.putInt(block(0, 0), 8).putLong(block(0, 0) + 8, 0x9000_0000L).putShort(block(0, 0) + 18, (short) 4);
        assertErrno(Errno.EFAULT, () -> UvirtioCodec.decodeExpect(badData, process));

        ByteBuffer badFlags = le(3584);
        badFlags.put(0, (byte) 'q');
        badFlags.putInt(block(0, 0), 8).putShort(block(0, 0) + 4, (short) 4);
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.decodeExpect(badFlags, process));

        assertErrno(Errno.EFAULT, () -> UvirtioCodec.decodeExpect(le(3583), process));
    }

    @Test
    void expectDataIsCappedAtOneMebibyte() {
        ByteBuffer big = le(3584);
        for (int i = 0; i < 3; i++) {
            big.put(i * 448, (byte) ('a' + i));
            for (int j = 0; j < 8; j++) {
                int bl = block(i, j);
                big.putInt(bl, 65535).putLong(bl + 8, MEM);
                for (int k = 0; k < 8; k++) {
                    big.putShort(bl + 16 + 4 * k, (short) (k * 8191)).putShort(bl + 18 + 4 * k, (short) 8191);
                }
            }
        }
        assertErrno(Errno.ENOMEM, () -> UvirtioCodec.decodeExpect(big, process));
    }

    @Test
    void theTypedFaceIsCheckedTheSameWay() {
        UvirtioExpect.Block past = new UvirtioExpect.Block(4, 0, List.of(new UvirtioExpect.Rule(2, new byte[4])));
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.check(new UvirtioExpect(List.of(new UvirtioExpect.Expect("q", List.of(past))))));
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.check(new UvirtioExpect(List.of(new UvirtioExpect.Expect("", List.of())))));
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.check(new UvirtioSetup(0, new byte[0], false, 1)));
        assertErrno(Errno.EINVAL, () -> UvirtioCodec.check(new UvirtioSetup(0, new byte[1025], false, 1)));
    }
}
