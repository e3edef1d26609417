package vfio.user.internal;

import static vfio.user.VfioUser.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.user.VfioUserMessage;

/** VERSION: once, first; our capabilities are a subset of what the spec defines, none the client cannot take. */
final class Handshake {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] CAPABILITIES = capabilities();

    private volatile boolean negotiated;
    /** The client's limit on what one DMA_READ/WRITE may carry. */
    private volatile int clientMaxDataXfer = DEFAULT_MAX_DATA_XFER_SIZE;

    /**
     * What we take: at most 16 descriptors a message (QEMU refuses more than its
     * VFIO_USER_MAX_MAX_FDS), 1 MiB of data, 4 KiB pages, type1's map limit; no migration.
     */
    private static byte[] capabilities() {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode caps = root.putObject("capabilities");
        caps.put("max_msg_fds", MAX_MSG_FDS);
        caps.put("max_data_xfer_size", DEFAULT_MAX_DATA_XFER_SIZE);
        caps.put("pgsizes", PGSIZES);
        caps.put("max_dma_maps", MAX_DMA_MAPS);
        return (root.toString() + "\0").getBytes(StandardCharsets.UTF_8);
    }

    VfioUserMessage version(VfioUserMessage m, Requests.Version r) {
        if (negotiated) {
            throw new ErrnoException(Errno.EINVAL, "VERSION was already negotiated");
        }
        r.maxDataXfer().ifPresent(max -> clientMaxDataXfer = max);
        ByteBuffer reply = ByteBuffer.allocate(4 + CAPABILITIES.length).order(ByteOrder.LITTLE_ENDIAN);
        reply.putShort(0, (short) VERSION_MAJOR).putShort(2, (short) Math.min(r.minor(), VERSION_MINOR))
                .put(4, CAPABILITIES);
        negotiated = true;
        return VfioUserMessage.reply(m, reply);
    }

    boolean negotiated() {
        return negotiated;
    }

    int clientMaxDataXfer() {
        return clientMaxDataXfer;
    }
}
