package vfio.user.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static vfio.user.VfioUser.*;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;

import vfio.user.VfioUserMessage;

/**
 * Every message the server takes, byte for byte: what goes in and the exact reply (header and
 * payload), over a socket pair against a fake device (BAR0 of 4 KiB, 256 bytes of config).
 */
class VfioUserServerTest {
    ServerPair pair;

    @BeforeEach
    void connect() throws Exception {
        pair = new ServerPair();
    }

    @AfterEach
    void disconnect() throws Exception {
        pair.close();
        assertThat(pair.ended(5)).as("the connection ends when the client goes").isTrue();
        assertThat(pair.connection.unexpectedFailures()).isZero();
        assertThat(pair.vfio.opened).allSatisfy(d -> assertThat(d.isClosed()).as("device closed").isTrue());
    }

    static byte[] hex(String text) {
        return HexFormat.of().parseHex(text.replace(" ", ""));
    }

    static String hex(ByteBuffer b) {
        byte[] bytes = new byte[b.remaining()];
        b.get(b.position(), bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** Sends header + payload as raw bytes; returns the reply's 16 header bytes and payload in hex. */
    String exchange(int id, int command, String payloadHex) throws Exception {
        byte[] payload = hex(payloadHex);
        ByteBuffer m = ByteBuffer.allocate(16 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        m.putShort(0, (short) id).putShort(2, (short) command).putInt(4, 16 + payload.length).put(16, payload);
        pair.client.writeRaw(m.array());
        VfioUserMessage reply = pair.client.receive(MAX_MESSAGE_SIZE);
        return hex(reply.header()) + "|" + hex(reply.payload());
    }

    void version() throws Exception {
        String reply = exchange(1, VFIO_USER_VERSION, "0000 0200");
        assertThat(reply).startsWith("01000100");
    }

    @Test
    void versionRepliesWithOurCapabilitiesAsNulTerminatedJson() throws Exception {
        byte[] json = "{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":65536}}\0".getBytes(StandardCharsets.UTF_8);
        String reply = exchange(7, VFIO_USER_VERSION, "0000 0500" + HexFormat.of().formatHex(json));
        String[] parts = reply.split("\\|");
        // id 7, command 1, size, flags = reply, error 0
        assertThat(parts[0]).startsWith("07000100").endsWith("0100000000000000");
        ByteBuffer payload = ByteBuffer.wrap(hex(parts[1])).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(payload.getShort(0)).isZero();
        assertThat(payload.getShort(2)).as("minor: the smaller of 5 and ours").isEqualTo((short) VERSION_MINOR);
        String text = new String(hex(parts[1]), 4, payload.capacity() - 4, StandardCharsets.UTF_8);
        assertThat(text).as("no more than QEMU's 16 descriptors, no migration").isEqualTo(
                "{\"capabilities\":{\"max_msg_fds\":16,\"max_data_xfer_size\":1048576,"
                + "\"pgsizes\":4096,\"max_dma_maps\":65535}}\0");
        assertThat(pair.connection.clientMaxDataXfer()).isEqualTo(65536);
    }

    @Test
    void deviceInfoRegionInfoIrqInfo() throws Exception {
        version();
        assertThat(exchange(2, VFIO_USER_DEVICE_GET_INFO, "10000000 00000000 00000000 00000000"))
                .isEqualTo("02000400200000000100000000000000|10000000030000000900000005000000");
        // config region 7: argsz 32, flags R|W, index 7, no caps, size 256, offset 7 << 40
        assertThat(exchange(3, VFIO_USER_DEVICE_GET_REGION_INFO,
                "20000000 00000000 07000000 00000000 0000000000000000 0000000000000000"))
                .isEqualTo("03000500300000000100000000000000|"
                        + "20000000" + "03000000" + "07000000" + "00000000" + "0001000000000000" + "0000000000070000");
        // INTx: eventfd, one vector
        assertThat(exchange(4, VFIO_USER_DEVICE_GET_IRQ_INFO, "10000000 00000000 00000000 00000000"))
                .isEqualTo("04000700200000000100000000000000|10000000010000000000000001000000");
    }

    @Test
    void regionReadAndWrite() throws Exception {
        version();
        // write 2 bytes at BAR0 + 0x20: reply echoes offset, region, count
        assertThat(exchange(5, VFIO_USER_REGION_WRITE, "2000000000000000 00000000 02000000 abcd"))
                .isEqualTo("05000a00200000000100000000000000|2000000000000000" + "00000000" + "02000000");
        assertThat(exchange(6, VFIO_USER_REGION_READ, "1f00000000000000 00000000 04000000"))
                .isEqualTo("06000900240000000100000000000000|1f00000000000000" + "00000000" + "04000000" + "00abcd00");
        assertThat(exchange(7, VFIO_USER_REGION_READ, "0000000000000000 07000000 02000000"))
                .as("config space").endsWith("f41a");
    }

    @Test
    void resetDmaMapUnmapAndSetIrqsReplyWithTheHeaderAlone() throws Exception {
        version();
        assertThat(exchange(8, VFIO_USER_DEVICE_RESET, "")).isEqualTo("08000d00100000000100000000000000|");
        assertThat(pair.vfio.opened.get(0).resets).isEqualTo(1);
        // DMA_MAP without a descriptor: memory reached by messages
        assertThat(exchange(9, VFIO_USER_DMA_MAP,
                "20000000 03000000 0000000000000000 0000100000000000 0000010000000000"))
                .isEqualTo("09000200100000000100000000000000|");
        // DMA_UNMAP echoes the entry
        assertThat(exchange(10, VFIO_USER_DMA_UNMAP, "18000000 00000000 0000100000000000 0000010000000000"))
                .isEqualTo("0a000300280000000100000000000000|180000000000000000001000000000000000010000000000");
        // SET_IRQS DATA_NONE | ACTION_TRIGGER, count 0: disable INTx
        assertThat(exchange(11, VFIO_USER_DEVICE_SET_IRQS, "14000000 21000000 00000000 00000000 00000000"))
                .isEqualTo("0b000800100000000100000000000000|");
    }

    @Test
    void sizesFromTheWireAreCheckedWithoutOverflow() throws Exception {
        version();
        // SET_IRQS DATA_BOOL | ACTION_TRIGGER with a count near 2^31 and one byte of data: EINVAL,
        // and the connection goes on (it overflowed the bounds check and dropped the connection)
        assertThat(exchange(20, VFIO_USER_DEVICE_SET_IRQS, "15000000 22000000 00000000 00000000 ffffff7f 01"))
                .isEqualTo("14000800100000002100000016000000|");
        assertThat(exchange(21, VFIO_USER_DEVICE_SET_IRQS, "15000000 22000000 00000000 00000000 ffffffff 01"))
                .isEqualTo("15000800100000002100000016000000|");
        assertThat(exchange(22, VFIO_USER_DEVICE_GET_INFO, "10000000 00000000 00000000 00000000"))
                .startsWith("16000400200000000100000000000000|");
    }

    @Test
    void onlyRegularFilesAreMappedAndNoneIsGrown(@TempDir Path dir) throws Exception {
        version();
        // a FIFO whose writer is gone: opening it to map would block the connection for good
        try (FileInputStream fifoReader = TestDescriptors.fifoWithoutWriter(dir.resolve("fifo"))) {
            FileDescriptor fd = fifoReader.getFD();
            String reply = CompletableFuture.supplyAsync(() -> sendWithFd(30, VFIO_USER_DMA_MAP,
                    "20000000 01000000 0000000000000000 0000100000000000 0010000000000000", fd))
                    .get(10, TimeUnit.SECONDS);
            assertThat(reply).as("EINVAL at once").isEqualTo("1e000200100000002100000016000000|");
        }
        // a writable map past the end of a 4 KiB file: refused, the file keeps its size
        Path file = Files.write(dir.resolve("ram"), new byte[4096]);
        try (FileInputStream ram = new FileInputStream(file.toFile())) {
            assertThat(sendWithFd(31, VFIO_USER_DMA_MAP,
                    "20000000 03000000 0000000000000000 0000100000000000 0020000000000000", ram.getFD()))
                    .isEqualTo("1f000200100000002100000016000000|");
        }
        assertThat(Files.size(file)).isEqualTo(4096);
        assertThat(exchange(32, VFIO_USER_DEVICE_GET_INFO, "10000000 00000000 00000000 00000000"))
                .as("the connection goes on").startsWith("20000400200000000100000000000000|");
    }

    @Test
    void interruptsNeverBlockOnAClientThatDoesNotRead(@TempDir Path dir) throws Exception {
        version();
        // INTx to one end of a socket pair whose other end nobody reads
        try (AFUNIXSocketPair<AFUNIXSocketChannel> unread = AFUNIXSocketPair.open()) {
            assertThat(sendWithFd(40, VFIO_USER_DEVICE_SET_IRQS, "18000000 24000000 00000000 00000000 01000000",
                    unread.getSocket2().getFileDescriptor())).isEqualTo("28000800100000000100000000000000|");
            // each doorbell write signals INTx under the device's lock: far more than a socket buffer holds
            String replies = CompletableFuture.supplyAsync(() -> {
                String last = "";
                for (int i = 0; i < 20_000; i++) {
                    last = exchangeUnchecked(41, VFIO_USER_REGION_WRITE, "1000000000000000 00000000 01000000 01");
                }
                return last;
            }).get(60, TimeUnit.SECONDS);
            assertThat(replies).as("every write answered").startsWith("29000a00");
        }
        // a FIFO is no eventfd nor socket: refused (a write to it blocks once its buffer is full)
        Path fifo = dir.resolve("fifo");
        TestDescriptors.mkfifo(fifo);
        try (RandomAccessFile both = new RandomAccessFile(fifo.toFile(), "rw")) {
            assertThat(sendWithFd(42, VFIO_USER_DEVICE_SET_IRQS, "18000000 24000000 00000000 00000000 01000000",
                    both.getFD())).isEqualTo("2a000800100000002100000016000000|");
        }
    }

    @Test
    void aClientPipeliningWithoutReadingRepliesFillsOnlyABoundedQueue() throws Exception {
        version();
        // 4 KiB reads whose replies nobody reads soon block the worker's sends; each is followed
        // by a 1 MiB write, which the reader would queue without end
        ByteBuffer read4k = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        read4k.putShort(0, (short) 50).putShort(2, (short) VFIO_USER_REGION_READ).putInt(4, 32)
                .putLong(16, 0).putInt(24, 0).putInt(28, 4096);
        int big = 1 << 20;
        ByteBuffer write1m = ByteBuffer.allocate(big).order(ByteOrder.LITTLE_ENDIAN);
        write1m.putShort(0, (short) 51).putShort(2, (short) VFIO_USER_REGION_WRITE).putInt(4, big)
                .putLong(16, 0).putInt(24, 0).putInt(28, big - 32);
        Thread flood = new Thread(() -> {
            try {
                for (int i = 0; i < 64; i++) {
                    pair.client.writeRaw(read4k.array());
                    pair.client.writeRaw(write1m.array());
                }
            } catch (IOException closed) {
                // the test closes the client while this thread is blocked writing
            }
        });
        flood.setDaemon(true);
        flood.start();
        flood.join(3_000);
        assertThat(pair.connection.queuedBytesHighWater()).as("bytes of commands queued at once")
                .isGreaterThan(Connection.MAX_QUEUED_BYTES / 2).isLessThanOrEqualTo(Connection.MAX_QUEUED_BYTES);
    }

    private String exchangeUnchecked(int id, int command, String payloadHex) {
        try {
            return exchange(id, command, payloadHex);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void clientMemoryIsUnmappedBeforeTheUnmapReplyAndWhenTheClientGoes(@TempDir Path dir) throws Exception {
        version();
        Path ram = Files.write(dir.resolve("guest-ram"), new byte[64 * 1024]);
        for (int i = 0; i < 32; i++) {
            try (FileInputStream file = new FileInputStream(ram.toFile())) {
                assertThat(sendWithFd(60, VFIO_USER_DMA_MAP,
                        "20000000 01000000 0000000000000000 0000100000000000 0000010000000000", file.getFD()))
                        .isEqualTo("3c000200100000000100000000000000|");
            }
            assertThat(TestDescriptors.mappingsOf(ram)).as("mapped").isEqualTo(1);
            assertThat(exchange(61, VFIO_USER_DMA_UNMAP, "18000000 00000000 0000100000000000 0000010000000000"))
                    .startsWith("3d000300280000000100000000000000|");
            assertThat(TestDescriptors.mappingsOf(ram)).as("unmapped before the reply, round %d", i).isZero();
        }
        for (int i = 0; i < 4; i++) {
            try (FileInputStream file = new FileInputStream(ram.toFile())) {
                sendWithFd(62, VFIO_USER_DMA_MAP, "20000000 01000000 " + String.format("%016x", Long.reverseBytes(i * 0x4000L))
                        + " 00000010" + String.format("%02x", i) + "000000 0040000000000000", file.getFD());
            }
        }
        assertThat(TestDescriptors.mappingsOf(ram)).as("four maps of the file").isEqualTo(4);
        pair.close();
        assertThat(pair.ended(5)).isTrue();
        assertThat(TestDescriptors.mappingsOf(ram)).as("all unmapped when the client went").isZero();
    }

    /** Like {@link #exchange}, with a descriptor passed along. */
    private String sendWithFd(int id, int command, String payloadHex, FileDescriptor fd) {
        try {
            pair.client.send(VfioUserMessage.command(id, command, ByteBuffer.wrap(hex(payloadHex)), fd));
            VfioUserMessage reply = pair.client.receive(MAX_MESSAGE_SIZE);
            return hex(reply.header()) + "|" + hex(reply.payload());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void regionInfoRepliesWithTheSizeNeededNotTheClientsArgsz() throws Exception {
        version();
        String config = "03000000" + "07000000" + "00000000" + "0001000000000000" + "0000000000070000";
        // argsz 64 KiB: the reply is the 32 bytes the region needs, argsz 32
        assertThat(exchange(3, VFIO_USER_DEVICE_GET_REGION_INFO,
                "00000100 00000000 07000000 00000000 0000000000000000 0000000000000000"))
                .isEqualTo("03000500300000000100000000000000|20000000" + config);
        // argsz >= 2^31 is a large unsigned size, not a negative one
        assertThat(exchange(4, VFIO_USER_DEVICE_GET_REGION_INFO,
                "00000080 00000000 07000000 00000000 0000000000000000 0000000000000000"))
                .isEqualTo("04000500300000000100000000000000|20000000" + config);
        // below the struct: EINVAL
        assertThat(exchange(5, VFIO_USER_DEVICE_GET_REGION_INFO,
                "1f000000 00000000 07000000 00000000 0000000000000000 0000000000000000"))
                .isEqualTo("05000500100000002100000016000000|");
    }

    @Test
    void errorsAreTheHeaderAloneWithTheErrno() throws Exception {
        version();
        // flags = reply | error (0x21), error = errno
        assertThat(exchange(12, VFIO_USER_REGION_READ, "0000000000000000 05000000 04000000"))
                .isEqualTo("0c000900100000002100000016000000|");   // region 5 of the fake: EINVAL (22)
        assertThat(exchange(13, VFIO_USER_DEVICE_FEATURE, "08000000 01000400"))
                .isEqualTo("0d001000100000002100000019000000|");   // ENOTTY (25)
        assertThat(exchange(14, 99, "")).isEqualTo("0e006300100000002100000016000000|");
        assertThat(exchange(15, VFIO_USER_DMA_UNMAP, "18000000 00000000 0000100000000000 0000010000000000"))
                .as("no such mapping").isEqualTo("0f000300100000002100000016000000|");
        assertThat(exchange(16, VFIO_USER_DMA_READ, "0000000000000000 0100000000000000"))
                .as("a server-to-client command from the client").isEqualTo("10000b00100000002100000016000000|");
        assertThat(exchange(17, VFIO_USER_DEVICE_GET_REGION_IO_FDS, "10000000 00000000 00000000 00000000"))
                .isEqualTo("1100060010000000210000005f000000|");   // EOPNOTSUPP (95)
    }

    @Test
    void noReplyCommandsGetNone() throws Exception {
        version();
        ByteBuffer m = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        m.putShort(0, (short) 20).putShort(2, (short) VFIO_USER_DEVICE_RESET).putInt(4, 16).putInt(8, FLAGS_NO_REPLY);
        pair.client.writeRaw(m.array());
        assertThat(exchange(21, VFIO_USER_DEVICE_RESET, "")).as("the next reply is the next command's")
                .startsWith("1500");
        assertThat(pair.vfio.opened.get(0).resets).isEqualTo(2);
    }

    @Test
    void aCommandBeforeVersionIsRefusedAndTheConnectionClosed() throws Exception {
        assertThat(exchange(1, VFIO_USER_DEVICE_GET_INFO, "10000000 00000000 00000000 00000000"))
                .isEqualTo("01000400100000002100000016000000|");
        assertThat(pair.client.receive(MAX_MESSAGE_SIZE)).isNull();
    }

    @Test
    void aMajorVersionOtherThanZeroIsRefused() throws Exception {
        assertThat(exchange(1, VFIO_USER_VERSION, "0100 0000")).isEqualTo("01000100100000002100000016000000|");
        assertThat(pair.client.receive(MAX_MESSAGE_SIZE)).isNull();
    }
}
