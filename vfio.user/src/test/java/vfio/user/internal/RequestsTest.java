package vfio.user.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.user.VfioUser.*;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.function.Function;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.user.VfioUserMessage;

/** The validators alone: each command's malformed forms are EINVAL naming the bad value, its good form typed. */
class RequestsTest {
    private static VfioUserMessage message(int command, String hex, FileDescriptor... fds) {
        byte[] payload = HexFormat.of().parseHex(hex.replace(" ", ""));
        return VfioUserMessage.command(1, command, ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN), fds);
    }

    private static void assertInvalid(Function<VfioUserMessage, ?> validator, VfioUserMessage m, String naming) {
        assertThatThrownBy(() -> validator.apply(m)).isInstanceOf(ErrnoException.class)
                .satisfies(e -> assertThat(((ErrnoException) e).errno()).isEqualTo(Errno.EINVAL))
                .hasMessageContaining(naming);
    }

    @Test
    void version() {
        byte[] json = "{\"capabilities\":{\"max_data_xfer_size\":4096}}\0".getBytes(StandardCharsets.UTF_8);
        Requests.Version v = Requests.version(message(VFIO_USER_VERSION, "0000 0300" + HexFormat.of().formatHex(json)));
        assertThat(v.minor()).isEqualTo(3);
        assertThat(v.maxDataXfer()).hasValue(4096);
        assertInvalid(Requests::version, message(VFIO_USER_VERSION, "00"), "version");
        assertInvalid(Requests::version, message(VFIO_USER_VERSION, "0100 0000"), "major version 1");
        assertInvalid(Requests::version, message(VFIO_USER_VERSION, "0000 0000 7b78"), "not JSON");
        byte[] bad = "{\"capabilities\":{\"max_data_xfer_size\":-1}}".getBytes(StandardCharsets.UTF_8);
        assertInvalid(Requests::version, message(VFIO_USER_VERSION, "0000 0000" + HexFormat.of().formatHex(bad)),
                "max_data_xfer_size -1");
    }

    @Test
    void dmaMap() {
        Requests.DmaMap map = Requests.dmaMap(message(VFIO_USER_DMA_MAP,
                "20000000 03000000 0000000000000000 0000100000000000 0000010000000000"));
        assertThat(map.address()).isEqualTo(0x100000);
        assertThat(map.size()).isEqualTo(0x10000);
        assertThat(map.writable()).isTrue();
        assertThat(map.fd()).isNull();
        assertInvalid(Requests::dmaMap, message(VFIO_USER_DMA_MAP, "1f000000 03000000 0000000000000000 0000100000000000 0000010000000000"), "argsz 31");
        assertInvalid(Requests::dmaMap, message(VFIO_USER_DMA_MAP, "20000000 07000000 0000000000000000 0000100000000000 0000010000000000"), "flags 0x7");
        assertInvalid(Requests::dmaMap, message(VFIO_USER_DMA_MAP, "20000000 03000000 0000000000000000 0100100000000000 0000010000000000"), "page-aligned");
        assertInvalid(Requests::dmaMap, message(VFIO_USER_DMA_MAP, "20000000 03000000 0000000000000000 0000100000000000 0000000080000000"), "at most 2 GiB");
        assertInvalid(Requests::dmaMap, message(VFIO_USER_DMA_MAP, "20000000 03000000"), "vfio_user_dma_map");
    }

    @Test
    void dmaUnmap() {
        Requests.DmaUnmap unmap = Requests.dmaUnmap(message(VFIO_USER_DMA_UNMAP, "18000000 00000000 0000100000000000 0000010000000000"));
        assertThat(unmap.address()).isEqualTo(0x100000);
        assertThat(unmap.entry().remaining()).isEqualTo(DMA_UNMAP_SIZE);
        assertInvalid(Requests::dmaUnmap, message(VFIO_USER_DMA_UNMAP, "18000000 01000000 0000100000000000 0000010000000000"), "flags 0x1");
        assertInvalid(Requests::dmaUnmap, message(VFIO_USER_DMA_UNMAP, "17000000 00000000 0000100000000000 0000010000000000"), "argsz 23");
    }

    @Test
    void fixedStructsAndRegionInfo() {
        assertThat(Requests.fixedStruct(message(VFIO_USER_DEVICE_GET_INFO, "ffffffff 00000000 00000000 00000000"), DEVICE_INFO_SIZE)
                .getInt(0)).as("argsz set to the struct's size").isEqualTo(DEVICE_INFO_SIZE);
        assertInvalid(m -> Requests.fixedStruct(m, DEVICE_INFO_SIZE),
                message(VFIO_USER_DEVICE_GET_INFO, "08000000 00000000 00000000 00000000"), "argsz 8");
        assertThat(Requests.regionInfo(message(VFIO_USER_DEVICE_GET_REGION_INFO,
                "00000080 00000000 07000000 00000000 0000000000000000 0000000000000000")).argsz())
                .as("unsigned").isEqualTo(0x8000_0000L);
        assertInvalid(Requests::regionInfo, message(VFIO_USER_DEVICE_GET_REGION_INFO,
                "10000000 00000000 07000000 00000000 0000000000000000 0000000000000000"), "argsz 16");
    }

    @Test
    void setIrqs() {
        Requests.IrqSet bools = Requests.setIrqs(message(VFIO_USER_DEVICE_SET_IRQS, "16000000 22000000 00000000 00000000 02000000 0101"));
        assertThat(bools.bools().remaining()).isEqualTo(2);
        assertInvalid(Requests::setIrqs, message(VFIO_USER_DEVICE_SET_IRQS, "15000000 22000000 00000000 00000000 ffffff7f 01"),
                "2147483647 booleans");
        assertInvalid(Requests::setIrqs, message(VFIO_USER_DEVICE_SET_IRQS, "14000000 24000000 00000000 00000000 11000000"),
                "count 17 > 16");
        assertInvalid(Requests::setIrqs, message(VFIO_USER_DEVICE_SET_IRQS, "14000000 24000000 00000000 00000000 02000000",
                FileDescriptor.in), "2 vectors came with 1 descriptors");
        assertInvalid(Requests::setIrqs, message(VFIO_USER_DEVICE_SET_IRQS, "14000000 24000000"), "vfio_irq_set");
    }

    @Test
    void regionAccess() {
        Requests.RegionAccess read = Requests.regionRead(message(VFIO_USER_REGION_READ, "1000000000000000 07000000 04000000"));
        assertThat(read.position()).isEqualTo((7L << 40) | 0x10);
        assertInvalid(Requests::regionRead, message(VFIO_USER_REGION_READ, "0000000000000000 00000000 00000000"), "count 0");
        assertInvalid(Requests::regionRead, message(VFIO_USER_REGION_READ, "0000000000000000 00000000 01001000"), "count 1048577");
        assertInvalid(Requests::regionRead, message(VFIO_USER_REGION_READ, "0000000000000000 ffffffff 01000000"), "region 4294967295");
        assertInvalid(Requests::regionWrite, message(VFIO_USER_REGION_WRITE, "0000000000000000 00000000 02000000 ab"), "carries 1");
    }
}
