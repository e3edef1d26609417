package vfio.user.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static vfio.user.VfioUser.*;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import vfio.user.VfioUserMessage;

/**
 * The server over a real socket with descriptors: commands that take one (DMA_MAP, SET_IRQS)
 * and others, with plausible and hostile fields, each with no descriptor or one of a regular
 * file, a FIFO with and without a writer, or a socket nobody reads (the kinds that once blocked
 * the server or grew a file). Every command is answered within seconds, the connection fails
 * only with errnos, and when the client goes the device is closed and nothing of the file is
 * still mapped. Jazzer drives it when fuzzing; the seeded cases (the faults found by hand) and
 * a seeded loop run on every build.
 */
class DescriptorFuzzTest {
    private static final int[] COMMANDS = { VFIO_USER_DMA_MAP, VFIO_USER_DMA_UNMAP, VFIO_USER_DEVICE_SET_IRQS,
        VFIO_USER_REGION_READ, VFIO_USER_REGION_WRITE, VFIO_USER_DEVICE_GET_REGION_INFO, VFIO_USER_DEVICE_RESET };
    private static Path dir;
    private static Path ram;
    private static FileInputStream file;
    private static RandomAccessFile fifoBothEnds;
    private static FileInputStream fifoNoWriter;
    private static AFUNIXSocketPair<AFUNIXSocketChannel> unread;
    private static List<FileDescriptor> kinds;

    @BeforeAll
    static void descriptors() throws Exception {
        dir = Files.createTempDirectory("vfio-user-fuzz");
        ram = Files.write(dir.resolve("ram"), new byte[64 * 1024]);
        file = new FileInputStream(ram.toFile());
        Path fifo = dir.resolve("fifo");
        TestDescriptors.mkfifo(fifo);
        fifoBothEnds = new RandomAccessFile(fifo.toFile(), "rw");
        fifoNoWriter = TestDescriptors.fifoWithoutWriter(dir.resolve("lonely"));
        unread = AFUNIXSocketPair.open();
        kinds = List.of(file.getFD(), fifoBothEnds.getFD(), fifoNoWriter.getFD(), unread.getSocket2().getFileDescriptor());
    }

    @AfterAll
    static void close() throws Exception {
        file.close();
        fifoBothEnds.close();
        fifoNoWriter.close();
        unread.getSocket1().close();
        unread.getSocket2().close();
        for (String f : new String[] { "ram", "fifo", "lonely" }) {
            Files.deleteIfExists(dir.resolve(f));
        }
        Files.deleteIfExists(dir);
    }

    /** One command: its number, payload and descriptor (null for none). */
    record Command(int command, byte[] payload, FileDescriptor fd) {
    }

    static void exercise(List<Command> commands) throws Exception {
        ServerPair pair = new ServerPair();
        try {
            pair.client.send(VfioUserMessage.command(0, VFIO_USER_VERSION, ByteBuffer.wrap(new byte[] {0, 0, 2, 0})));
            assertThat(pair.client.receive(MAX_MESSAGE_SIZE).isError()).isFalse();
            int id = 1;
            for (Command c : commands) {
                VfioUserMessage m = c.fd() == null
                        ? VfioUserMessage.command(id, c.command(), ByteBuffer.wrap(c.payload()))
                        : VfioUserMessage.command(id, c.command(), ByteBuffer.wrap(c.payload()), c.fd());
                pair.client.send(m);
                VfioUserMessage reply = CompletableFuture.supplyAsync(() -> {
                    try {
                        return pair.client.receive(MAX_MESSAGE_SIZE);
                    } catch (IOException e) {
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);   // a command the server never answers fails here
                if (reply == null) {
                    break;   // the server closed the connection: allowed, once
                }
                assertThat(reply.isReply()).as("%s", reply).isTrue();
                assertThat(reply.id()).isEqualTo(id & 0xffff);
                id++;
            }
        } finally {
            pair.close();
        }
        assertThat(pair.ended(10)).as("the connection ends").isTrue();
        assertThat(pair.connection.unexpectedFailures()).as("failures other than errnos").isZero();
        assertThat(pair.vfio.opened).allSatisfy(d -> assertThat(d.isClosed()).isTrue());
        assertThat(TestDescriptors.mappingsOf(ram)).as("nothing of the client's file mapped after it went").isZero();
    }

    private static byte[] dmaMap(int flags, long offset, long address, long size) {
        return ByteBuffer.allocate(DMA_MAP_SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(0, DMA_MAP_SIZE)
                .putInt(4, flags).putLong(8, offset).putLong(16, address).putLong(24, size).array();
    }

    private static byte[] irqSet(int flags, int count, int dataBytes) {
        return ByteBuffer.allocate(IRQ_SET_SIZE + dataBytes).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, IRQ_SET_SIZE + dataBytes).putInt(4, flags).putInt(8, 0).putInt(12, 0).putInt(16, count).array();
    }

    private static byte[] doorbell() {
        return ByteBuffer.allocate(REGION_ACCESS_SIZE + 1).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0x10)
                .putInt(8, 0).putInt(12, 1).put(16, (byte) 1).array();
    }

    @Test
    void theFaultsFoundByHand() throws Exception {
        FileDescriptor fifoNoWriterFd = kinds.get(2);
        exercise(List.of(
                // SET_IRQS DATA_BOOL with a count near 2^31: overflowed the bounds check
                new Command(VFIO_USER_DEVICE_SET_IRQS, irqSet(0x22, 0x7fff_ffff, 1), null),
                // DMA_MAP of a FIFO without a writer: blocked the connection in open()
                new Command(VFIO_USER_DMA_MAP, dmaMap(1, 0, 0x10_0000, 0x1000), fifoNoWriterFd),
                // a writable map past the end of the file: grew it
                new Command(VFIO_USER_DMA_MAP, dmaMap(3, 0, 0x20_0000, 0x20_0000), kinds.get(0)),
                // a map within it, left for the release to unmap
                new Command(VFIO_USER_DMA_MAP, dmaMap(3, 0, 0x40_0000, 0x1_0000), kinds.get(0))));
        assertThat(Files.size(ram)).isEqualTo(64 * 1024);
        // INTx into a socket nobody reads, then more interrupts than its buffer holds
        List<Command> flood = new java.util.ArrayList<>();
        flood.add(new Command(VFIO_USER_DEVICE_SET_IRQS, irqSet(0x24, 1, 0), kinds.get(3)));
        for (int i = 0; i < 3000; i++) {
            flood.add(new Command(VFIO_USER_REGION_WRITE, doorbell(), null));
        }
        exercise(flood);
    }

    static List<Command> commands(FuzzedDataProvider data) {
        List<Command> commands = new java.util.ArrayList<>();
        for (int n = data.consumeInt(1, 12); n > 0; n--) {
            int command = COMMANDS[data.consumeInt(0, COMMANDS.length - 1)];
            FileDescriptor fd = data.consumeBoolean() ? null : kinds.get(data.consumeInt(0, kinds.size() - 1));
            byte[] payload = switch (command) {
                case VFIO_USER_DMA_MAP -> dmaMap(data.consumeInt(0, 4), data.consumeInt(0, 32) * 0x1000L,
                        data.consumeInt(0, 64) * 0x1000L, data.consumeBoolean() ? data.consumeInt(0, 32) * 0x1000L : data.consumeLong());
                case VFIO_USER_DEVICE_SET_IRQS -> irqSet(data.consumeInt(0, 0x3f), data.consumeBoolean()
                        ? data.consumeInt(0, 2) : data.consumeInt(), data.consumeInt(0, 4));
                case VFIO_USER_REGION_WRITE -> doorbell();
                default -> data.consumeBytes(data.consumeInt(0, 40));
            };
            commands.add(new Command(command, payload, fd));
        }
        return commands;
    }

    @FuzzTest(maxDuration = "15s")
    void commandsWithDescriptors(FuzzedDataProvider data) throws Exception {
        exercise(commands(data));
    }

    @Test
    void seededRandomCommands() throws Exception {
        // longer on demand: mvn verify -pl vfio.user -Dvfio.user.fuzz.rounds=5000
        Random random = new Random(Long.getLong("vfio.user.fuzz.seed", 0xf00d_0002L));
        for (int round = 0, rounds = Integer.getInteger("vfio.user.fuzz.rounds", 40); round < rounds; round++) {
            List<Command> commands = new java.util.ArrayList<>();
            for (int n = 1 + random.nextInt(10); n > 0; n--) {
                int command = COMMANDS[random.nextInt(COMMANDS.length)];
                FileDescriptor fd = random.nextBoolean() ? null : kinds.get(random.nextInt(kinds.size()));
                byte[] payload = switch (command) {
                    case VFIO_USER_DMA_MAP -> dmaMap(random.nextInt(4), random.nextInt(32) * 0x1000L,
                            random.nextInt(64) * 0x1000L, random.nextInt(4) == 0 ? random.nextLong() : random.nextInt(32) * 0x1000L);
                    case VFIO_USER_DMA_UNMAP -> ByteBuffer.allocate(DMA_UNMAP_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                            .putInt(0, DMA_UNMAP_SIZE).putLong(8, random.nextInt(64) * 0x1000L)
                            .putLong(16, random.nextInt(32) * 0x1000L).array();
                    case VFIO_USER_DEVICE_SET_IRQS -> irqSet(random.nextInt(0x40), random.nextInt(3), random.nextInt(4));
                    case VFIO_USER_REGION_WRITE -> doorbell();
                    default -> {
                        byte[] b = new byte[random.nextInt(40)];
                        random.nextBytes(b);
                        yield b;
                    }
                };
                commands.add(new Command(command, payload, fd));
            }
            exercise(commands);
        }
    }
}
