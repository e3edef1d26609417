package vfio.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import mdev.core.ErrnoException;

/**
 * Jazzer on every ioctl struct decoder of vfio.core (device, group, type1, SVA): the input picks
 * a decoder and gives its bytes; each either decodes or fails with an ErrnoException, never with
 * anything else. {@link CodecFuzzTest} feeds the same decoders seeded random bytes. It found
 * that a capability offset near 2^31 overflowed the bounds check of the capability chains
 * (GET_INFO and GET_REGION_INFO replies) into an IndexOutOfBoundsException.
 */
class IoctlCodecFuzzTest {
    private static final int[] DEVICE_IOCTLS = { Vfio.VFIO_DEVICE_GET_INFO, Vfio.VFIO_DEVICE_GET_REGION_INFO,
        Vfio.VFIO_DEVICE_GET_IRQ_INFO, Vfio.VFIO_DEVICE_SET_IRQS, Vfio.VFIO_DEVICE_RESET, 0x3b99 };
    private static final VfioIoctlCodecTest.Recorder DEVICE = new VfioIoctlCodecTest.Recorder();
    private static final FileTable FILES = new FileTable();

    static {
        FILES.install(new EventFd());
    }

    @org.junit.jupiter.api.Test
    void aCapabilityOffsetNearTwoToTheThirtyOneIsEinvalNotAnOverflow() {
        ByteBuffer info = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        info.putInt(0, 64).putInt(4, Vfio.VFIO_IOMMU_INFO_CAPS).putInt(16, Integer.MAX_VALUE - 3);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> VfioType1Codec.decodeInfo(info))
                .isInstanceOfSatisfying(ErrnoException.class, e -> org.assertj.core.api.Assertions.assertThat(e.errno())
                        .isEqualTo(mdev.core.Errno.EINVAL));
        ByteBuffer region = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        region.putInt(0, 64).putInt(VfioIoctlCodec.REGION_INFO_CAP_OFFSET, Integer.MAX_VALUE - 5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> VfioIoctlCodec.decodeCaps(region))
                .isInstanceOf(ErrnoException.class);
    }

    /** The entry point of tools/fuzz (Jazzer's own driver, run for millions of inputs). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        new IoctlCodecFuzzTest().decoders(data);
    }

    @FuzzTest(maxDuration = "10s")
    void decoders(FuzzedDataProvider data) {
        int which = data.consumeInt(0, 14);
        ByteBuffer b = ByteBuffer.wrap(data.consumeRemainingAsBytes()).order(ByteOrder.LITTLE_ENDIAN);
        try {
            switch (which) {
                case 0, 1, 2, 3, 4, 5 -> VfioIoctlCodec.dispatch(DEVICE_IOCTLS[which], b, FILES, DEVICE);
                case 6 -> VfioGroupCodec.containerFd(b);
                case 7 -> VfioGroupCodec.deviceName(b);
                case 8 -> VfioType1Codec.decodeMap(b);
                case 9 -> VfioType1Codec.decodeUnmap(b);
                case 10 -> VfioType1Codec.decodePasidRequest(b);
                case 11 -> VfioType1Codec.decodeInfo(b);
                case 12 -> IommuUapiCodec.decodeBind(b);
                case 13 -> IommuUapiCodec.decodeCacheInvalidate(b);
                default -> {
                    if (b.capacity() >= VfioIoctlCodec.REGION_INFO_MINSZ) {
                        VfioIoctlCodec.decodeCaps(b);   // a GET_REGION_INFO reply's capability chain
                    }
                }
            }
        } catch (ErrnoException expected) {
            // the only way to fail
        }
        if (which == 11 && b.capacity() >= 16) {
            try {
                VfioType1Codec.putInfo(b, new VfioIommuInfo(0, 0x1000, List.of(new VfioIommuInfo.IovaRange(0, 0xffff)), 1));
            } catch (ErrnoException expected) {
                // too small for what it must hold
            }
        }
    }
}
