package vfio.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import mdev.core.ErrnoException;

/**
 * Every byte-level decoder, fed random and mutated structs: each either decodes or fails with
 * an ErrnoException, never with anything else. Seeded, so a failure reproduces.
 */
class CodecFuzzTest {
    static final int ROUNDS = 20_000;

    final Random random = new Random(0x5eed_f00dL);
    final VfioIoctlCodecTest.Recorder device = new VfioIoctlCodecTest.Recorder();
    final FileTable files = new FileTable();

    CodecFuzzTest() {
        files.install(new EventFd());
    }

    /** Random bytes, often starting with a plausible argsz so the checks behind it are reached. */
    private ByteBuffer input(int maxLength) {
        byte[] bytes = new byte[random.nextInt(maxLength + 1)];
        random.nextBytes(bytes);
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length >= 8 && random.nextBoolean()) {
            b.putInt(0, random.nextBoolean() ? bytes.length : random.nextInt(bytes.length + 16));
            if (random.nextBoolean()) {
                b.putInt(4, 1 << random.nextInt(8));
            }
        }
        if (bytes.length >= 12 && random.nextBoolean()) {
            b.putInt(8, random.nextInt(4));
        }
        if (bytes.length >= 20 && random.nextBoolean()) {
            b.putInt(12, random.nextInt(3));
            b.putInt(16, random.nextInt(3));
        }
        return b;
    }

    private int fuzz(int maxLength, Consumer<ByteBuffer> decoder) {
        int decoded = 0;
        for (int i = 0; i < ROUNDS; i++) {
            ByteBuffer b = input(maxLength);
            try {
                decoder.accept(b);
                decoded++;
            } catch (ErrnoException expected) {
                // the only way to fail
            }
        }
        return decoded;
    }

    @Test
    void deviceIoctls() {
        for (int cmd : List.of(Vfio.VFIO_DEVICE_GET_INFO, Vfio.VFIO_DEVICE_GET_REGION_INFO, Vfio.VFIO_DEVICE_GET_IRQ_INFO,
                Vfio.VFIO_DEVICE_SET_IRQS, Vfio.VFIO_DEVICE_RESET, 0x3b99)) {
            fuzz(64, b -> VfioIoctlCodec.dispatch(cmd, b, files, device));
        }
    }

    @Test
    void groupArguments() {
        assertThat(fuzz(16, b -> VfioGroupCodec.putStatus(b, 1))).isPositive();
        fuzz(8, VfioGroupCodec::containerFd);
        fuzz(64, VfioGroupCodec::deviceName);
    }

    @Test
    void type1Structs() {
        assertThat(fuzz(48, VfioType1Codec::decodeMap)).isPositive();
        fuzz(32, VfioType1Codec::decodeUnmap);
        assertThat(fuzz(32, VfioType1Codec::decodePasidRequest)).isPositive();
        fuzz(16, VfioType1Codec::decodeQuota);
        fuzz(128, b -> VfioType1Codec.putInfo(b, new VfioIommuInfo(0, 0x1000,
                List.of(new VfioIommuInfo.IovaRange(0, 0xffff)), random.nextInt(2))));
        fuzz(128, VfioType1Codec::decodeInfo);
    }

    @Test
    void svaStructs() {
        fuzz(96, IommuUapiCodec::decodeBind);
        fuzz(64, IommuUapiCodec::decodeCacheInvalidate);
    }
}
