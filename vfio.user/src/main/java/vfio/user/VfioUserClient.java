package vfio.user;

import static vfio.user.VfioUser.*;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.newsclub.net.unix.AFUNIXSocketChannel;
import org.newsclub.net.unix.AFUNIXSocketPair;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioIrqInfo;

/**
 * A vfio-user client: connects to a server's socket, negotiates the version and drives the
 * device with the same messages a VMM sends. Calls are synchronous and one at a time; a
 * failed command throws {@link ErrnoException} with the server's errno.
 */
public final class VfioUserClient implements AutoCloseable {
    private final VfioUserChannel channel;
    private int nextId;
    /** Memory mapped without a descriptor, by DMA address: what the server's DMA_READ/WRITE reach. */
    private final java.util.TreeMap<Long, ByteBuffer> messageMemory = new java.util.TreeMap<>();
    /** How many DMA_READ/DMA_WRITE commands the server sent. */
    private long dmaCommands;
    private int serverMinor = -1;
    private String serverCapabilities = "";
    private int serverMaxDataXfer = DEFAULT_MAX_DATA_XFER_SIZE;
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private VfioUserClient(VfioUserChannel channel) {
        this.channel = channel;
    }

    /** Connects and negotiates (VERSION 0.{@link VfioUser#VERSION_MINOR}). */
    public static VfioUserClient connect(Path socket) throws IOException {
        VfioUserClient client = new VfioUserClient(VfioUserChannel.connect(socket));
        try {
            client.negotiate(MAX_MSG_FDS, DEFAULT_MAX_DATA_XFER_SIZE);
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
        return client;
    }

    /** A client over a channel already open (a socket pair, say), not negotiated yet. */
    public static VfioUserClient of(VfioUserChannel channel) {
        return new VfioUserClient(channel);
    }

    /** Opens a connection without negotiating (tests of the handshake itself). */
    public static VfioUserClient connectRaw(Path socket) throws IOException {
        return new VfioUserClient(VfioUserChannel.connect(socket));
    }

    public VfioUserChannel channel() {
        return channel;
    }

    /**
     * VERSION with our capabilities: how many descriptors one message may bring us, and the
     * largest DMA_READ/DMA_WRITE we take (the server must chunk its transfers to it).
     */
    public void negotiate(int maxMsgFds, int maxDataXferSize) throws IOException {
        com.fasterxml.jackson.databind.node.ObjectNode root = JSON.createObjectNode();
        root.putObject("capabilities").put("max_msg_fds", maxMsgFds).put("max_data_xfer_size", maxDataXferSize);
        negotiate(root.toString());
    }

    /** VERSION with these capabilities (JSON text, sent NUL-terminated as it is). */
    public void negotiate(String capabilitiesJson) throws IOException {
        byte[] json = (capabilitiesJson + "\0").getBytes(StandardCharsets.UTF_8);
        ByteBuffer p = payload(4 + json.length);
        p.putShort(0, (short) VERSION_MAJOR).putShort(2, (short) VERSION_MINOR).put(4, json);
        ByteBuffer reply = call(VFIO_USER_VERSION, p).payload();
        if (reply.remaining() < 4 || reply.getShort(0) != VERSION_MAJOR) {
            throw new ErrnoException(Errno.EINVAL, "server answered VERSION with " + reply.remaining() + " bytes");
        }
        serverMinor = Short.toUnsignedInt(reply.getShort(2));
        byte[] text = new byte[reply.remaining() - 4];
        reply.get(4, text);
        serverCapabilities = new String(text, StandardCharsets.UTF_8).replace("\0", "");
        try {
            com.fasterxml.jackson.databind.JsonNode caps = JSON.readTree(serverCapabilities.isBlank() ? "{}"
                    : serverCapabilities).path("capabilities");
            serverMaxDataXfer = caps.path("max_data_xfer_size").asInt(DEFAULT_MAX_DATA_XFER_SIZE);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ErrnoException(Errno.EINVAL, "the server's VERSION capabilities are not JSON: " + e.getOriginalMessage());
        }
    }

    /** The server's max_data_xfer_size: the largest REGION_READ/REGION_WRITE it takes. */
    public int serverMaxDataXfer() {
        return serverMaxDataXfer;
    }

    /** The minor version the server chose; -1 before negotiation. */
    public int serverMinor() {
        return serverMinor;
    }

    /** The server's capabilities JSON. */
    public String serverCapabilities() {
        return serverCapabilities;
    }

    private static ByteBuffer payload(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Sends a command and waits for its reply, answering the server's DMA_READ and DMA_WRITE
     * meanwhile; an error reply throws with the server's errno, a lost connection with ENODEV.
     */
    public synchronized VfioUserMessage call(int command, ByteBuffer payload, FileDescriptor... fds) throws IOException {
        int id = nextId++ & 0xffff;
        VfioUserMessage reply;
        try {
            channel.send(VfioUserMessage.command(id, command, payload, fds));
            while (true) {
                reply = channel.receive(MAX_MESSAGE_SIZE);
                if (reply == null) {
                    throw new ErrnoException(Errno.ENODEV, "the server closed the connection");
                }
                if (reply.isReply()) {
                    break;
                }
                channel.send(serveDma(reply));
            }
        } catch (IOException e) {
            // the server went away (stopped, or dropped us): the device is gone for this client
            throw new ErrnoException(Errno.ENODEV, commandName(command) + ": the connection to the server is lost ("
                    + e.getMessage() + ")", e);
        }
        if (!reply.isReply() || reply.id() != id || reply.command() != command) {
            throw new ErrnoException(Errno.EINVAL, "expected the reply to " + commandName(command) + " #" + id
                    + ", got " + reply);
        }
        if (reply.isError()) {
            Errno errno = Errno.of(reply.error());
            throw new ErrnoException(errno == null ? Errno.EIO : errno, commandName(command) + " failed with errno "
                    + reply.error());
        }
        return reply;
    }

    /** The server's DMA_READ/DMA_WRITE on memory mapped without a descriptor. */
    private VfioUserMessage serveDma(VfioUserMessage m) {
        dmaCommands++;
        ByteBuffer p = m.payload();
        if ((m.command() != VFIO_USER_DMA_READ && m.command() != VFIO_USER_DMA_WRITE) || p.remaining() < DMA_ACCESS_SIZE) {
            return VfioUserMessage.error(m, Errno.EINVAL);
        }
        long address = p.getLong(p.position());
        long count = p.getLong(p.position() + 8);
        java.util.Map.Entry<Long, ByteBuffer> region = messageMemory.floorEntry(address);
        if (count < 0 || count > DEFAULT_MAX_DATA_XFER_SIZE || region == null
                || address - region.getKey() + count > region.getValue().capacity()) {
            return VfioUserMessage.error(m, Errno.EFAULT);
        }
        int at = (int) (address - region.getKey());
        if (m.command() == VFIO_USER_DMA_READ) {
            ByteBuffer r = payload(DMA_ACCESS_SIZE + (int) count).putLong(0, address).putLong(8, count);
            r.put(DMA_ACCESS_SIZE, region.getValue(), at, (int) count);
            return VfioUserMessage.reply(m, r);
        }
        if (p.remaining() != DMA_ACCESS_SIZE + count) {
            return VfioUserMessage.error(m, Errno.EINVAL);
        }
        region.getValue().put(at, p, p.position() + DMA_ACCESS_SIZE, (int) count);
        return VfioUserMessage.reply(m, payload(12).putLong(0, address).putInt(8, (int) count));
    }

    /** How many DMA_READ/DMA_WRITE messages the server has sent so far. */
    public synchronized long dmaCommands() {
        return dmaCommands;
    }

    public VfioDeviceInfo deviceInfo() throws IOException {
        ByteBuffer r = call(VFIO_USER_DEVICE_GET_INFO, payload(DEVICE_INFO_SIZE).putInt(0, DEVICE_INFO_SIZE)).payload();
        require(r, DEVICE_INFO_SIZE);
        return new VfioDeviceInfo(r.getInt(4), r.getInt(8), r.getInt(12));
    }

    /** The vfio_region_info reply (struct and any capabilities) for {@code index}. */
    public ByteBuffer regionInfo(int index, int argsz) throws IOException {
        ByteBuffer r = call(VFIO_USER_DEVICE_GET_REGION_INFO,
                payload(REGION_INFO_SIZE).putInt(0, argsz).putInt(8, index)).payload();
        require(r, REGION_INFO_SIZE);
        return r;
    }

    /**
     * Maps {@code size} bytes at {@code offset} of region {@code index} with the descriptor the
     * server passes in GET_REGION_INFO: EINVAL when the region is not mmap-able.
     */
    public java.nio.MappedByteBuffer mapRegion(int index, long offset, long size) throws IOException {
        VfioUserMessage reply = call(VFIO_USER_DEVICE_GET_REGION_INFO,
                payload(REGION_INFO_SIZE).putInt(0, 4096).putInt(8, index));
        ByteBuffer r = reply.payload();
        require(r, REGION_INFO_SIZE);
        if ((r.getInt(4) & vfio.core.Vfio.VFIO_REGION_INFO_FLAG_MMAP) == 0 || reply.fds().size() != 1) {
            vfio.user.internal.Descriptors.close(reply.fds());
            throw new ErrnoException(Errno.EINVAL, "region " + index + " is not mmap-able (" + reply.fds().size()
                    + " descriptors)");
        }
        return vfio.user.internal.Descriptors.map(reply.fds().get(0), r.getLong(24) + offset, size, true);
    }

    public VfioIrqInfo irqInfo(int index) throws IOException {
        ByteBuffer r = call(VFIO_USER_DEVICE_GET_IRQ_INFO,
                payload(IRQ_INFO_SIZE).putInt(0, IRQ_INFO_SIZE).putInt(8, index)).payload();
        require(r, IRQ_INFO_SIZE);
        return new VfioIrqInfo(r.getInt(8), r.getInt(4), r.getInt(12));
    }

    /** SET_IRQS with eventfds passed as descriptors (none: de-assign). */
    public void setIrqEventFds(int action, int index, int start, int count, FileDescriptor... fds) throws IOException {
        call(VFIO_USER_DEVICE_SET_IRQS, irqSet(vfio.core.Vfio.VFIO_IRQ_SET_DATA_EVENTFD | action, index, start, count, 0),
                fds);
    }

    /** SET_IRQS with DATA_NONE. */
    public void setIrqs(int action, int index, int start, int count) throws IOException {
        call(VFIO_USER_DEVICE_SET_IRQS, irqSet(vfio.core.Vfio.VFIO_IRQ_SET_DATA_NONE | action, index, start, count, 0));
    }

    private static ByteBuffer irqSet(int flags, int index, int start, int count, int data) {
        return payload(IRQ_SET_SIZE + data).putInt(0, IRQ_SET_SIZE + data).putInt(4, flags).putInt(8, index)
                .putInt(12, start).putInt(16, count);
    }

    public byte[] regionRead(int region, long offset, int count) throws IOException {
        ByteBuffer r = call(VFIO_USER_REGION_READ,
                payload(REGION_ACCESS_SIZE).putLong(0, offset).putInt(8, region).putInt(12, count)).payload();
        require(r, REGION_ACCESS_SIZE + count);
        byte[] data = new byte[count];
        r.get(REGION_ACCESS_SIZE, data);
        return data;
    }

    public void regionWrite(int region, long offset, byte... data) throws IOException {
        ByteBuffer p = payload(REGION_ACCESS_SIZE + data.length).putLong(0, offset).putInt(8, region)
                .putInt(12, data.length).put(REGION_ACCESS_SIZE, data);
        require(call(VFIO_USER_REGION_WRITE, p).payload(), REGION_ACCESS_SIZE);
    }

    public void reset() throws IOException {
        call(VFIO_USER_DEVICE_RESET, payload(0));
    }

    /** DMA_MAP of {@code size} bytes of the file {@code fd} from {@code offset}, at DMA address {@code address}. */
    public void dmaMap(long address, long size, int flags, FileDescriptor fd, long offset) throws IOException {
        ByteBuffer p = payload(DMA_MAP_SIZE).putInt(0, DMA_MAP_SIZE).putInt(4, flags).putLong(8, offset)
                .putLong(16, address).putLong(24, size);
        if (fd == null) {
            call(VFIO_USER_DMA_MAP, p);
        } else {
            call(VFIO_USER_DMA_MAP, p, fd);
        }
    }

    /**
     * DMA_MAP without a descriptor: the server reaches {@code memory} (its whole capacity) with
     * DMA_READ and DMA_WRITE messages, which this client answers while it waits for replies.
     */
    public synchronized void dmaMap(long address, ByteBuffer memory, int flags) throws IOException {
        messageMemory.put(address, memory.duplicate().clear());
        try {
            dmaMap(address, memory.capacity(), flags, null, 0);
        } catch (IOException | RuntimeException e) {
            messageMemory.remove(address);
            throw e;
        }
    }

    public synchronized void dmaUnmap(long address, long size) throws IOException {
        call(VFIO_USER_DMA_UNMAP, payload(DMA_UNMAP_SIZE).putInt(0, DMA_UNMAP_SIZE).putLong(8, address).putLong(16, size));
        messageMemory.remove(address);
    }

    private static void require(ByteBuffer reply, int size) {
        if (reply.remaining() < size) {
            throw new ErrnoException(Errno.EINVAL, "reply of " + reply.remaining() + " bytes, expected " + size);
        }
    }

    @Override
    public void close() {
        channel.close();
    }

    /**
     * What a Java client gives the server in place of an eventfd: one end of a socket pair,
     * to which the server writes each signal's 8-byte count, as to an eventfd.
     */
    public static final class Notifier implements AutoCloseable {
        private final AFUNIXSocketPair<AFUNIXSocketChannel> pair;
        private final ByteBuffer value = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        public Notifier() throws IOException {
            pair = AFUNIXSocketPair.open();
            pair.getSocket1().configureBlocking(false);
        }

        /** The descriptor to pass in SET_IRQS. */
        public FileDescriptor fd() throws IOException {
            return pair.getSocket2().getFileDescriptor();
        }

        /** Waits for a signal; returns the count written, or 0 after the timeout. */
        public synchronized long await(long timeout, TimeUnit unit) throws IOException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            while (value.hasRemaining()) {
                if (pair.getSocket1().read(value) < 0) {
                    return 0;
                }
                if (value.hasRemaining()) {
                    if (System.nanoTime() > deadline) {
                        return 0;
                    }
                    try {
                        Thread.sleep(1);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return 0;
                    }
                }
            }
            long count = value.getLong(0);
            value.clear();
            return count;
        }

        @Override
        public void close() throws IOException {
            pair.getSocket1().close();
            pair.getSocket2().close();
        }
    }
}
