package vendor.ccw.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static vendor.ccw.internal.ChannelProgramTest.MEM;

import java.nio.ByteBuffer;
import java.util.Random;

import org.junit.jupiter.api.Test;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import mdev.core.ErrnoException;
import vendor.ccw.Ccw;

/**
 * The ORB and CCW decoders and cp.c's translation, fed arbitrary ORBs and guest memory full of
 * arbitrary CCWs and IDAWs whose addresses often land in the mapping: each program either
 * translates, runs to an end and frees every pin, or fails with an errno having pinned nothing.
 * Jazzer drives it when fuzzing; the seeded loop runs the same body on every build.
 */
class ChannelProgramFuzzTest {
    /** Where the generated chain sits: the first 64 KiB of the mapping. */
    static final int AREA = 0x1_0000;

    /** One guest, zeroed before each input, so a run depends on its input alone. */
    static final ChannelProgramTest.GuestDma DMA = new ChannelProgramTest.GuestDma();

    /** How many bytes at MEM the last input's chain took (zeroed before the next, with what devices wrote). */
    static int lastArea;

    /** Returns whether the program translated. */
    static synchronized boolean exercise(byte[] orbBytes, byte[] memory, int mask) {
        ChannelProgramTest.GuestDma dma = DMA;
        dma.memory.write(MEM, ByteBuffer.allocate(lastArea));
        dma.zeroDirty();
        memory = memory.length > ChannelProgramTest.SIZE ? java.util.Arrays.copyOf(memory, ChannelProgramTest.SIZE) : memory;
        lastArea = memory.length;
        ByteBuffer area = ByteBuffer.wrap(memory);
        // Steer every word's upper bits by mask so CDAs, IDAWs and TIC targets hit the mapping.
        for (int i = 4; i + 4 <= memory.length; i += 8) {
            if ((mask >>> (i / 8 % 32) & 1) != 0) {
                area.putInt(i, (int) MEM + (area.getInt(i) & (AREA - 1)));
            }
        }
        dma.memory.write(MEM, ByteBuffer.wrap(memory));
        Ccw.Orb orb;
        try {
            orb = Ccw.Orb.decode(ByteBuffer.wrap(orbBytes));
        } catch (ErrnoException | java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            if (orbBytes.length >= 12) {
                throw new AssertionError("a 12-byte ORB always decodes", e);
            }
            return false;
        }
        orb = new Ccw.Orb(orb.intparm(), orb.key(), orb.format1(), orb.prefetch(), orb.c64(), orb.i2k(), orb.lpm(),
                orb.transportMode(), orb.suspend(), orb.ils(), (mask & 1) != 0 ? (int) MEM : orb.cpa());
        ChannelProgram cp;
        try {
            cp = ChannelProgram.translate(orb, dma);
        } catch (ErrnoException expected) {
            assertThat(dma.pins).as("a failed translation pins nothing").isEmpty();
            return false;
        }
        try {
            // a guest's HALT after 1024 commands: TIC loops would otherwise run to the 65536-command
            // program check each time (which ChannelProgramTest covers), a millisecond per input
            int[] steps = new int[1];
            ChannelProgram.Result result = cp.run(new BlockDevice(4096), () -> ++steps[0] > 1024);
            assertThat(result.residual()).isNotNegative();
        } finally {
            cp.free();
        }
        assertThat(dma.pins).as("a freed program pins nothing").isEmpty();
        return true;
    }

    /** The entry point of tools/fuzz (Jazzer's own driver, run for millions of inputs). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        new ChannelProgramFuzzTest().translate(data);
    }

    @FuzzTest(maxDuration = "15s")
    void translate(FuzzedDataProvider data) {
        byte[] orb = data.consumeBytes(12);
        int mask = data.consumeInt();
        exercise(orb, data.consumeRemainingAsBytes(), mask);
    }

    @Test
    void seededRandomPrograms() {
        Random random = new Random(0xcc_f00dL);
        int translated = 0;
        for (int round = 0; round < 3000; round++) {
            byte[] orb = new byte[12];
            random.nextBytes(orb);
            if (random.nextBoolean()) {
                orb[4] = 0;
                orb[5] = (byte) 0xc2;      // format 1, prefetch, 64-bit IDAWs: past the ORB checks
            }
            byte[] memory = new byte[8 * (1 + random.nextInt(64))];
            random.nextBytes(memory);
            for (int i = 0; i < memory.length; i += 8) {
                if (random.nextInt(3) > 0) {
                    int[] commands = { Ccw.CMD_READ, Ccw.CMD_WRITE, Ccw.CMD_NOP, Ccw.CMD_TIC, Ccw.CMD_SENSE_ID };
                    memory[i] = (byte) commands[random.nextInt(commands.length)];
                    memory[i + 2] = 0;
                    memory[i + 3] &= 0x7f;
                }
            }
            translated += exercise(orb, memory, random.nextInt()) ? 1 : 0;
        }
        assertThat(translated).as("programs that translated and ran").isBetween(100, 2900);
    }
}
