package vfio.user.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Random;

import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import org.junit.jupiter.api.Test;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import vfio.user.VfioUser;
import vfio.user.VfioUserMessage;

/**
 * The server's decoder fed arbitrary message streams: well-framed messages of any command,
 * flags and payload (after a handshake or not), then arbitrary bytes. Whatever comes, the
 * connection answers or closes: no failure other than an errno, no stuck thread, the device
 * closed at the end. Jazzer drives it when fuzzing; the seeded loop runs it on every build.
 */
class ServerFuzzTest {
    /** One listening socket for every input (bound on first use, in a temporary directory). */
    private static AFUNIXServerSocket server;
    private static Path serverPath;

    private static synchronized ServerPair pair() throws java.io.IOException {
        if (server == null) {
            Path dir = java.nio.file.Files.createTempDirectory("vfio-user-fuzz");
            dir.toFile().deleteOnExit();
            serverPath = dir.resolve("s");
            serverPath.toFile().deleteOnExit();
            server = AFUNIXServerSocket.newInstance();
            server.bind(AFUNIXSocketAddress.of(serverPath.toFile()));
        }
        return new ServerPair(server, serverPath);
    }

    static void exercise(byte[] stream) throws Exception {
        try (ServerPair pair = pair()) {
            // within the socket buffer: written at once, then read back until the server closes
            pair.client.writeRaw(stream);
            pair.client.shutdownOutput();
            while (true) {
                VfioUserMessage reply;
                try {
                    reply = pair.client.receive(VfioUser.MAX_MESSAGE_SIZE);
                } catch (java.io.IOException closedMidReply) {
                    break;
                }
                if (reply == null) {
                    break;
                }
                assertThat(reply.isReply() || reply.command() == VfioUser.VFIO_USER_DMA_READ
                        || reply.command() == VfioUser.VFIO_USER_DMA_WRITE).as("%s", reply).isTrue();
            }
            assertThat(pair.ended(10)).as("the connection ends").isTrue();
            assertThat(pair.connection.unexpectedFailures()).as("failures other than errnos").isZero();
            assertThat(pair.vfio.opened).allSatisfy(d -> assertThat(d.isClosed()).isTrue());
        }
    }

    /** A stream: maybe a handshake, framed messages from the data, then raw bytes. */
    static byte[] stream(FuzzedDataProvider data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (data.consumeBoolean()) {
            out.writeBytes(frame(0, VfioUser.VFIO_USER_VERSION, 0, new byte[] {0, 0, 2, 0}));
        }
        int messages = data.consumeInt(0, 16);
        for (int i = 0; i < messages; i++) {
            int command = data.consumeInt(0, 20);
            int flags = data.consumeBoolean() ? 0 : data.consumeInt(0, 0x3f);
            byte[] payload = data.consumeBytes(data.consumeInt(0, 96));
            out.writeBytes(frame(i, command, flags, payload));
        }
        out.writeBytes(data.consumeRemainingAsBytes());
        byte[] bytes = out.toByteArray();
        return bytes.length > 32 * 1024 ? java.util.Arrays.copyOf(bytes, 32 * 1024) : bytes;
    }

    static byte[] frame(int id, int command, int flags, byte[] payload) {
        ByteBuffer m = ByteBuffer.allocate(16 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
        m.putShort(0, (short) id).putShort(2, (short) command).putInt(4, 16 + payload.length).putInt(8, flags)
                .put(16, payload);
        return m.array();
    }

    /** The entry point of tools/fuzz (Jazzer's own driver, run for millions of inputs). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) throws Exception {
        new ServerFuzzTest().messages(data);
    }

    @FuzzTest(maxDuration = "15s")
    void messages(FuzzedDataProvider data) throws Exception {
        exercise(stream(data));
    }

    @Test
    void seededRandomStreams() throws Exception {
        Random random = new Random(0xf00d_0001L);
        for (int round = 0; round < 150; round++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (random.nextBoolean()) {
                out.writeBytes(frame(0, VfioUser.VFIO_USER_VERSION, 0, new byte[] {0, 0, 2, 0}));
            }
            for (int i = random.nextInt(12); i > 0; i--) {
                byte[] payload = new byte[random.nextInt(64)];
                random.nextBytes(payload);
                // plausible fixed parts: argsz/offset/count small, so handlers go deep
                ByteBuffer p = ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN);
                if (payload.length >= 16 && random.nextBoolean()) {
                    p.putInt(0, payload.length).putInt(8, random.nextInt(9)).putInt(12, random.nextInt(8));
                }
                out.writeBytes(frame(i, 1 + random.nextInt(18), random.nextInt(4) == 0 ? random.nextInt(64) : 0, payload));
            }
            if (random.nextInt(4) == 0) {
                byte[] junk = new byte[random.nextInt(40)];
                random.nextBytes(junk);
                out.writeBytes(junk);
            }
            exercise(out.toByteArray());
        }
    }
}
