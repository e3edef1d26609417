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
        // A whole struct (3.5 KiB, near libFuzzer's input limit) with a few fields the input
        // chooses, so the checks past argsz are reached: counts, lengths, flags, rule offsets.
        ByteBuffer arg = ByteBuffer.allocate(UvirtioCodec.EXPECTS_SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int edits = data.consumeInt(0, 24); edits > 0 && data.remainingBytes() > 0; edits--) {
            int at = data.consumeInt(0, UvirtioCodec.EXPECTS_SIZE - 8);
            switch (data.consumeInt(0, 4)) {
                case 0 -> arg.put(at, data.consumeByte());
                case 1 -> arg.putShort(at, data.consumeShort());
                case 2 -> arg.putInt(at, data.consumeInt());
                case 3 -> arg.putInt(at, data.consumeInt(0, 16));   // a small count or length
                default -> arg.putLong(at, MEM + data.consumeInt(0, 0xffff));   // a pointer into the process
            }
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
