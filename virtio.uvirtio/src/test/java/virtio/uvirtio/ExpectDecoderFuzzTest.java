package virtio.uvirtio;

import java.nio.ByteBuffer;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/**
 * Jazzer on the UV_DEV_EXPECT and UV_DEV_CREATE decoders: any struct, with data pointers
 * often into the process's memory, either decodes or fails with an errno.
 */
class ExpectDecoderFuzzTest {
    static final long MEM = 0x10_0000;
    static final VmAddressSpace PROCESS = new VmAddressSpace("fuzz");

    static {
        PROCESS.allocate(MEM, 0x1_0000);
    }

    /** The entry point of tools/fuzz (Jazzer's standalone driver). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        new ExpectDecoderFuzzTest().decoders(data);
    }

    @FuzzTest(maxDuration = "15s")
    void decoders(FuzzedDataProvider data) {
        ByteBuffer arg = ByteBuffer.wrap(data.consumeBytes(UvirtioCodec.EXPECTS_SIZE + 8));
        // Steer some pointers into mapped memory so the rule data is read.
        if (arg.capacity() >= 80 && data.consumeBoolean()) {
            arg.order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(72, MEM + data.consumeInt(0, 0xffff));
        }
        try {
            UvirtioCodec.decodeExpect(arg, PROCESS);
        } catch (ErrnoException expected) {
            // the only way to fail
        }
        try {
            UvirtioCodec.decodeSetup(ByteBuffer.wrap(data.consumeRemainingAsBytes()), PROCESS);
        } catch (ErrnoException expected) {
            // the only way to fail
        }
    }
}
