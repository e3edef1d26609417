package vfio.user.internal;

import static vfio.user.VfioUser.*;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioRegions;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;
import vfio.core.VmMemory;
import vfio.user.VfioUserChannel;
import vfio.user.VfioUserMessage;

/**
 * One client of a served device. The connection owns a VM address space, a type1 container
 * with the device's group in it, and the open device: the client's DMA maps become the
 * container's mappings (vendors reach client memory through the IOMMU as always), its
 * eventfds the device's interrupt eventfds. Commands are handled one at a time, in order, on
 * this connection's thread; everything the client held is released when it goes.
 */
final class Connection implements Runnable {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The largest GET_REGION_INFO reply we build (the struct and its capabilities). */
    private static final int MAX_REGION_INFO = 64 * 1024;

    private final VfioUserChannel channel;
    private final UUID uuid;
    private final VfioService vfio;
    private final Runnable onClose;
    private final VmAddressSpace vm;
    private final FileTable files = new FileTable();
    private VfioContainer container;
    private VfioGroup group;
    private VfioDeviceFile device;
    private boolean negotiated;
    /** The client's limit on what one DMA_READ/WRITE may carry. */
    private volatile int clientMaxDataXfer = DEFAULT_MAX_DATA_XFER_SIZE;
    /** DMA maps by IOVA: what was mapped, to unmap and release. */
    private final Map<Long, DmaMapping> dmaMaps = new HashMap<>();
    /** Interrupt eventfds the client gave, by (index, vector): closed when replaced or at the end. */
    private final Map<Long, ForwardedEventFd> irqFds = new HashMap<>();
    /** Server-to-client commands awaiting their reply, by message id. */
    private final Map<Integer, CompletableFuture<VfioUserMessage>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger();
    /** Failures that were not an errno or the client going away: bugs, counted for tests. */
    private final AtomicInteger unexpected = new AtomicInteger();
    /** Client commands in arrival order, for the worker; a null-payload poison ends it. */
    private final BlockingQueue<VfioUserMessage> commands = new LinkedBlockingQueue<>();
    /**
     * Bytes of the commands queued for the worker, bounded by {@link #MAX_QUEUED_BYTES}: when
     * full the reader stops reading the socket until the worker catches up (backpressure; a
     * client that pipelines without reading replies only fills its own socket).
     */
    private final QueuedBytes queued = new QueuedBytes();
    static final long MAX_QUEUED_BYTES = 8L << 20;

    /** Guarded by itself. */
    private static final class QueuedBytes {
        long now;
        /** The most ever queued at once, for tests. */
        long highWater;
    }
    private static final VfioUserMessage END = VfioUserMessage.command(0, 0, ByteBuffer.allocate(0));
    /** How long a DMA_READ/DMA_WRITE waits for the client. */
    private static final long DMA_TIMEOUT_SECONDS = 30;

    /** {@code memory} is null for memory reached by messages. */
    private record DmaMapping(long address, long size, NativeMapping memory) {
        /** munmap of the client's memory: only once type1 and the VM have let go of it. */
        void unmap() {
            if (memory != null) {
                memory.close();
            }
        }
    }

    /**
     * A device-side eventfd whose signals are written to the client's descriptor. Devices signal
     * under their own locks, so a signal must never block: the client's descriptor is an
     * eventfd, whose 8-byte write never blocks, or a socket (the Java client's stand-in for
     * one), written without blocking; a signal it has no room for is dropped, as an eventfd's
     * reader that never reads sees only that the count is not zero. Anything else is EINVAL
     * (a pipe or FIFO nobody reads would block the device, and the release after it).
     */
    private static final class ForwardedEventFd {
        private final Descriptors.Signal out;
        final EventFd eventFd;

        ForwardedEventFd(FileDescriptor fd) {
            try {
                this.out = Descriptors.signalling(fd);
            } catch (IOException e) {
                throw new ErrnoException(Errno.EINVAL, "SET_IRQS descriptor: " + e.getMessage(), e);
            }
            this.eventFd = new EventFd(out::signal);
        }

        void close() {
            out.close();
        }
    }

    Connection(VfioUserChannel channel, UUID uuid, VfioService vfio, Runnable onClose) {
        this.channel = channel;
        this.uuid = uuid;
        this.vfio = vfio;
        this.onClose = onClose;
        this.vm = new VmAddressSpace("vfio-user client of " + uuid);
    }

    void close() {
        channel.close();
    }

    /** How many failures were neither an errno nor the client going away (tests expect none). */
    int unexpectedFailures() {
        return unexpected.get();
    }

    @Override
    public void run() {
        Thread worker = null;
        try {
            open();
            worker = new Thread(this::work, Thread.currentThread().getName() + " worker");
            worker.setDaemon(true);
            worker.start();
            read();
        } catch (ErrnoException e) {
            LOG.log(Level.WARNING, "vfio-user client of " + uuid + " dropped: " + e);
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "vfio-user client of " + uuid + " gone: " + e.getMessage());
        } catch (RuntimeException e) {
            unexpected.incrementAndGet();
            LOG.log(Level.ERROR, "vfio-user client of " + uuid + " dropped after an unexpected failure", e);
        } finally {
            channel.close();
            pending.values().forEach(f -> f.completeExceptionally(
                    new ErrnoException(Errno.EIO, "the vfio-user client of " + uuid + " went away")));
            commands.clear();
            commands.add(END);
            synchronized (queued) {
                queued.now = 0;
                queued.notifyAll();
            }
            if (worker != null) {
                try {
                    worker.join(DMA_TIMEOUT_SECONDS * 1000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            release();
            onClose.run();
        }
    }

    /** QEMU's realize, on the client's behalf: container, group, type1v2, device. */
    private void open() {
        container = vfio.openContainer(vm, files);
        group = vfio.openGroup(vfio.groupOf(uuid.toString()), files);
        group.setContainer(container);
        container.setIommu(Vfio.VFIO_TYPE1v2_IOMMU);
        device = group.getDevice(uuid.toString());
    }

    /**
     * The reader: replies go to the server-to-client command waiting for them, commands to the
     * worker in order. Ends at the client's end of stream or at a message that cannot be trusted.
     *
     * <p>Why a thread of its own: a vendor may DMA from its own thread (a channel program
     * finishing later) and hold type1's lock while the client's reply comes; the worker may at
     * that moment wait for the same lock (a DMA_UNMAP). Were the worker also the reader, nobody
     * would read that reply. The reader takes no lock, so replies always arrive.
     */
    private void read() throws IOException {
        while (true) {
            VfioUserMessage m;
            try {
                m = channel.receive(MAX_MESSAGE_SIZE);
            } catch (ErrnoException malformed) {
                // a header we cannot trust: the stream cannot be resynchronised
                LOG.log(Level.WARNING, "vfio-user client of " + uuid + " sent " + malformed.getMessage() + "; closing");
                return;
            }
            if (m == null) {
                return;
            }
            if (m.isReply()) {
                CompletableFuture<VfioUserMessage> waiting = pending.remove(m.id());
                if (waiting == null) {
                    LOG.log(Level.WARNING, "vfio-user client of " + uuid + " sent an unexpected " + m + "; closing");
                    return;
                }
                waiting.complete(m);
                continue;
            }
            if (!reserve(m.size())) {
                return;
            }
            commands.add(m);
        }
    }

    /**
     * Room in the queue for a command of {@code size} bytes: waits while it is full. While the
     * client owes a reply to a server-to-client command the reader must go on reading to find
     * it, so then the queue may take twice as much before the client is dropped: a client that
     * floods commands while withholding a DMA reply.
     */
    private boolean reserve(int size) throws IOException {
        synchronized (queued) {
            while (queued.now > 0 && queued.now + size > MAX_QUEUED_BYTES) {
                if (!pending.isEmpty()) {
                    if (queued.now + size > 2 * MAX_QUEUED_BYTES) {
                        LOG.log(Level.WARNING, "vfio-user client of " + uuid + " queued more than "
                                + (2 * MAX_QUEUED_BYTES >> 20) + " MiB of commands while owing a reply; closing");
                        return false;
                    }
                    break;
                }
                if (channel.isClosed()) {
                    throw new IOException("closed");
                }
                try {
                    queued.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            queued.now += size;
            queued.highWater = Math.max(queued.highWater, queued.now);
            return true;
        }
    }

    private void dequeued(VfioUserMessage m) {
        synchronized (queued) {
            queued.now -= m.size();
            queued.notifyAll();
        }
    }

    /** The most bytes of commands ever queued at once (tests check the bound). */
    long queuedBytesHighWater() {
        synchronized (queued) {
            return queued.highWater;
        }
    }

    /** The worker: one client command at a time, in order; a failed handshake closes the connection. */
    private void work() {
        try {
            while (true) {
                VfioUserMessage m = commands.take();
                if (m == END) {
                    return;
                }
                dequeued(m);
                VfioUserMessage reply;
                boolean handshakeFailed = false;
                try {
                    reply = handle(m);
                    if (m.command() != VFIO_USER_DMA_MAP && m.command() != VFIO_USER_DEVICE_SET_IRQS) {
                        closeFds(m.fds());   // descriptors a command does not take are not kept
                    }
                } catch (ErrnoException e) {
                    closeFds(m.fds());
                    reply = VfioUserMessage.error(m, e.errno());
                    LOG.log(Level.DEBUG, "vfio-user " + m + ": " + e);
                    handshakeFailed = !negotiated;
                }
                send(m, reply);
                if (handshakeFailed) {
                    channel.close();   // the spec closes the connection when VERSION fails
                    return;
                }
            }
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "vfio-user client of " + uuid + " gone while replying: " + e.getMessage());
            channel.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            unexpected.incrementAndGet();
            LOG.log(Level.ERROR, "vfio-user client of " + uuid + " dropped after an unexpected failure", e);
            channel.close();
        }
    }

    /**
     * A server-to-client command (DMA_READ/DMA_WRITE): sent from any thread, its reply is
     * picked up by the reader. EIO when the client goes away or does not answer in time, the
     * client's errno when it answers with an error.
     */
    private VfioUserMessage ask(int command, ByteBuffer payload) {
        int id = nextId.getAndIncrement() & 0xffff;
        CompletableFuture<VfioUserMessage> reply = new CompletableFuture<>();
        pending.put(id, reply);
        try {
            channel.send(VfioUserMessage.command(id, command, payload));
            VfioUserMessage m = reply.get(DMA_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (m.command() != command) {
                throw new ErrnoException(Errno.EIO, "the client answered " + commandName(command) + " with " + m);
            }
            if (m.isError()) {
                Errno errno = Errno.of(m.error());
                throw new ErrnoException(errno == null ? Errno.EFAULT : errno, "the client refused " + commandName(command)
                        + " (errno " + m.error() + ")");
            }
            return m;
        } catch (IOException e) {
            throw new ErrnoException(Errno.EIO, commandName(command) + " could not be sent: " + e.getMessage(), e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ErrnoException(Errno.EIO, "the client did not answer " + commandName(command) + " within "
                    + DMA_TIMEOUT_SECONDS + " s");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof ErrnoException errno ? errno
                    : new ErrnoException(Errno.EIO, commandName(command) + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ErrnoException(Errno.EIO, "interrupted while waiting for " + commandName(command));
        } finally {
            pending.remove(id);
        }
    }

    /**
     * Client memory mapped without a descriptor: each access is DMA_READ/DMA_WRITE messages of
     * at most the client's max_data_xfer_size.
     */
    private final class ClientMemory implements VmMemory {
        private final long address;
        private final long size;

        ClientMemory(long address, long size) {
            this.address = address;
            this.size = size;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void read(long offset, ByteBuffer dst, int dstPos, int length) {
            for (int done = 0; done < length;) {
                int chunk = Math.min(length - done, clientMaxDataXfer);
                ByteBuffer p = ByteBuffer.allocate(DMA_ACCESS_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, address + offset + done).putLong(8, chunk);
                ByteBuffer r = ask(VFIO_USER_DMA_READ, p).payload();
                if (r.remaining() != DMA_ACCESS_SIZE + chunk || r.getLong(r.position() + 8) != chunk) {
                    throw new ErrnoException(Errno.EIO, "DMA_READ of " + chunk + " bytes answered with "
                            + (r.remaining() - DMA_ACCESS_SIZE));
                }
                dst.put(dstPos + done, r, r.position() + DMA_ACCESS_SIZE, chunk);
                done += chunk;
            }
        }

        @Override
        public void write(long offset, ByteBuffer src, int srcPos, int length) {
            for (int done = 0; done < length;) {
                int chunk = Math.min(length - done, clientMaxDataXfer);
                ByteBuffer p = ByteBuffer.allocate(DMA_ACCESS_SIZE + chunk).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, address + offset + done).putLong(8, chunk);
                p.put(DMA_ACCESS_SIZE, src, srcPos + done, chunk);
                ask(VFIO_USER_DMA_WRITE, p);
                done += chunk;
            }
        }
    }

    private void send(VfioUserMessage request, VfioUserMessage reply) throws IOException {
        if (!request.noReply()) {
            channel.send(reply);
        }
    }

    private VfioUserMessage handle(VfioUserMessage m) {
        if (!negotiated && m.command() != VFIO_USER_VERSION) {
            throw new ErrnoException(Errno.EINVAL, VFIO_USER_VERSION + " must come first, got " + commandName(m.command()));
        }
        return switch (m.command()) {
            case VFIO_USER_VERSION -> version(m);
            case VFIO_USER_DMA_MAP -> dmaMap(m);
            case VFIO_USER_DMA_UNMAP -> dmaUnmap(m);
            case VFIO_USER_DEVICE_GET_INFO -> fixedIoctl(m, Vfio.VFIO_DEVICE_GET_INFO, DEVICE_INFO_SIZE);
            case VFIO_USER_DEVICE_GET_REGION_INFO -> regionInfo(m);
            case VFIO_USER_DEVICE_GET_IRQ_INFO -> fixedIoctl(m, Vfio.VFIO_DEVICE_GET_IRQ_INFO, IRQ_INFO_SIZE);
            case VFIO_USER_DEVICE_SET_IRQS -> setIrqs(m);
            case VFIO_USER_REGION_READ -> regionRead(m);
            case VFIO_USER_REGION_WRITE -> regionWrite(m);
            case VFIO_USER_DEVICE_RESET -> reset(m);
            case VFIO_USER_DEVICE_FEATURE -> throw new ErrnoException(Errno.ENOTTY,
                    "device " + uuid + " has no vfio-user feature (migration, DMA logging)");
            case VFIO_USER_DEVICE_GET_REGION_IO_FDS, VFIO_USER_REGION_WRITE_MULTI, VFIO_USER_MIG_DATA_READ,
                    VFIO_USER_MIG_DATA_WRITE -> throw new ErrnoException(Errno.EOPNOTSUPP,
                    commandName(m.command()) + " is not offered by this server");
            case VFIO_USER_DMA_READ, VFIO_USER_DMA_WRITE -> throw new ErrnoException(Errno.EINVAL,
                    commandName(m.command()) + " goes from server to client");
            default -> throw new ErrnoException(Errno.EINVAL, "unknown vfio-user command " + m.command());
        };
    }

    // ---- VERSION ------------------------------------------------------------------------

    private VfioUserMessage version(VfioUserMessage m) {
        if (negotiated) {
            throw new ErrnoException(Errno.EINVAL, "VERSION was already negotiated");
        }
        ByteBuffer p = VfioUserChannel.require(m, 4, "version");
        int major = Short.toUnsignedInt(p.getShort(p.position()));
        int minor = Short.toUnsignedInt(p.getShort(p.position() + 2));
        if (major != VERSION_MAJOR) {
            throw new ErrnoException(Errno.EINVAL, "vfio-user major version " + major + " is not " + VERSION_MAJOR);
        }
        if (p.remaining() > 4) {
            byte[] json = new byte[p.remaining() - 4];
            p.get(p.position() + 4, json);
            int end = json.length;
            while (end > 0 && json[end - 1] == 0) {
                end--;   // the JSON is NUL-terminated
            }
            readCapabilities(new String(json, 0, end, StandardCharsets.UTF_8));
        }
        ObjectNode root = JSON.createObjectNode();
        ObjectNode caps = root.putObject("capabilities");
        // What we take, of the capabilities the spec defines; no migration (we offer none).
        caps.put("max_msg_fds", MAX_MSG_FDS);
        caps.put("max_data_xfer_size", DEFAULT_MAX_DATA_XFER_SIZE);
        caps.put("pgsizes", PGSIZES);
        caps.put("max_dma_maps", MAX_DMA_MAPS);
        byte[] text = (root.toString() + "\0").getBytes(StandardCharsets.UTF_8);
        ByteBuffer reply = ByteBuffer.allocate(4 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        reply.putShort(0, (short) VERSION_MAJOR).putShort(2, (short) Math.min(minor, VERSION_MINOR)).put(4, text);
        negotiated = true;
        return VfioUserMessage.reply(m, reply);
    }

    private void readCapabilities(String text) {
        if (text.isBlank()) {
            return;
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new ErrnoException(Errno.EINVAL, "VERSION capabilities are not JSON: " + e.getMessage());
        }
        JsonNode caps = root == null ? null : root.get("capabilities");
        if (caps == null) {
            return;
        }
        if (!caps.isObject()) {
            throw new ErrnoException(Errno.EINVAL, "VERSION capabilities is not an object: " + caps);
        }
        JsonNode xfer = caps.get("max_data_xfer_size");
        if (xfer != null) {
            if (!xfer.canConvertToInt() || xfer.asInt() <= 0) {
                throw new ErrnoException(Errno.EINVAL, "max_data_xfer_size " + xfer + " is not a positive number");
            }
            clientMaxDataXfer = xfer.asInt();
        }
        JsonNode fds = caps.get("max_msg_fds");
        if (fds != null && (!fds.canConvertToInt() || fds.asInt() < 0)) {
            throw new ErrnoException(Errno.EINVAL, "max_msg_fds " + fds + " is not a number");
        }
    }

    /** The client's max_data_xfer_size, for server-to-client transfers. */
    int clientMaxDataXfer() {
        return clientMaxDataXfer;
    }

    // ---- DMA ----------------------------------------------------------------------------

    private VfioUserMessage dmaMap(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, DMA_MAP_SIZE, "vfio_user_dma_map");
        int base = p.position();
        int argsz = p.getInt(base);
        int flags = p.getInt(base + 4);
        long offset = p.getLong(base + 8);
        long address = p.getLong(base + 16);
        long size = p.getLong(base + 24);
        if (argsz < DMA_MAP_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "DMA_MAP argsz " + argsz + " < " + DMA_MAP_SIZE);
        }
        if ((flags & ~(DMA_FLAG_READ | DMA_FLAG_WRITE)) != 0) {
            throw new ErrnoException(Errno.EINVAL, "DMA_MAP flags 0x" + Integer.toHexString(flags));
        }
        if (m.fds().size() > 1) {
            throw new ErrnoException(Errno.EINVAL, "DMA_MAP came with " + m.fds().size() + " descriptors");
        }
        if (size <= 0 || ((address | size | offset) & (VmAddressSpace.PAGE_SIZE - 1)) != 0 || offset < 0
                || size > Integer.MAX_VALUE - VmAddressSpace.PAGE_SIZE + 1) {
            throw new ErrnoException(Errno.EINVAL, "DMA_MAP 0x" + Long.toHexString(address) + "+0x"
                    + Long.toHexString(size) + " at file offset 0x" + Long.toHexString(offset)
                    + " must be page-aligned and at most 2 GiB");
        }
        if (dmaMaps.containsKey(address) || overlaps(address, size)) {
            throw new ErrnoException(Errno.EEXIST, "DMA_MAP 0x" + Long.toHexString(address) + "+0x"
                    + Long.toHexString(size) + " overlaps a mapping");
        }
        NativeMapping memory = null;
        // the client's DMA address is both our VM address and the IOVA: the mapping is 1:1
        if (m.fds().isEmpty()) {
            // no descriptor: the memory is reached by DMA_READ/DMA_WRITE messages
            vm.attach(address, new ClientMemory(address, size));
        } else {
            memory = mapFd(m.fds().get(0), offset, size, (flags & DMA_FLAG_WRITE) != 0);
            try {
                vm.attach(address, memory.buffer());
            } catch (ErrnoException e) {
                memory.close();
                throw e;
            }
        }
        DmaMapping mapping = new DmaMapping(address, size, memory);
        try {
            int mapFlags = ((flags & DMA_FLAG_READ) != 0 ? Vfio.VFIO_DMA_MAP_FLAG_READ : 0)
                    | ((flags & DMA_FLAG_WRITE) != 0 ? Vfio.VFIO_DMA_MAP_FLAG_WRITE : 0);
            container.mapDma(address, address, size, mapFlags);
        } catch (ErrnoException e) {
            vm.free(address);
            mapping.unmap();
            throw e;
        }
        dmaMaps.put(address, mapping);
        return VfioUserMessage.reply(m, ByteBuffer.allocate(0));
    }

    private boolean overlaps(long address, long size) {
        for (DmaMapping d : dmaMaps.values()) {
            if (address < d.address() + d.size() && d.address() < address + size) {
                return true;
            }
        }
        return false;
    }

    /** mmap of the client's descriptor; the descriptor itself is closed once mapped. */
    private static NativeMapping mapFd(FileDescriptor fd, long offset, long size, boolean writable) {
        try {
            return Descriptors.mapNative(fd, offset, size, writable);
        } catch (IOException e) {
            throw new ErrnoException(Errno.EINVAL, "cannot map the DMA_MAP descriptor: " + e.getMessage(), e);
        }
    }

    private VfioUserMessage dmaUnmap(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, DMA_UNMAP_SIZE, "vfio_user_dma_unmap");
        int base = p.position();
        int argsz = p.getInt(base);
        int flags = p.getInt(base + 4);
        long address = p.getLong(base + 8);
        long size = p.getLong(base + 16);
        if (argsz < DMA_UNMAP_SIZE || flags != 0) {
            throw new ErrnoException(Errno.EINVAL, "DMA_UNMAP argsz " + argsz + " flags 0x" + Integer.toHexString(flags));
        }
        DmaMapping d = dmaMaps.get(address);
        if (d == null || d.size() != size) {
            throw new ErrnoException(Errno.EINVAL, "DMA_UNMAP 0x" + Long.toHexString(address) + "+0x"
                    + Long.toHexString(size) + " matches no mapping exactly");
        }
        // unmapping notifies vendors, which unpin: nothing of the region stays in use, and the
        // client's memory is unmapped before the reply, as the spec asks
        container.unmapDma(address, size);
        vm.free(address);
        dmaMaps.remove(address).unmap();
        ByteBuffer reply = ByteBuffer.allocate(DMA_UNMAP_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        reply.put(0, p, base, DMA_UNMAP_SIZE);
        return VfioUserMessage.reply(m, reply);
    }

    // ---- device ioctls ------------------------------------------------------------------

    /** An ioctl whose vfio-user payload is the kernel's fixed-size struct, argsz first. */
    private VfioUserMessage fixedIoctl(VfioUserMessage m, int cmd, int size) {
        ByteBuffer p = VfioUserChannel.require(m, size, "struct of");
        int argsz = p.getInt(p.position());
        if (argsz < size) {
            throw new ErrnoException(Errno.EINVAL, commandName(m.command()) + " argsz " + argsz + " < " + size);
        }
        ByteBuffer arg = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        arg.put(0, p, p.position(), size);
        arg.putInt(0, size);
        device.ioctl(cmd, arg);
        return VfioUserMessage.reply(m, arg);
    }

    /**
     * GET_REGION_INFO: the kernel's struct and capabilities, cut to the client's argsz (whose
     * argsz field then says what the whole needs). A region the client can mmap comes with the
     * descriptor of the file behind it (offset 0: the file's bytes are the region's, sparse
     * areas included); a region with no such file is reached by REGION_READ/WRITE only.
     */
    /**
     * GET_REGION_INFO as user space asks the kernel: the fixed struct first, which tells the
     * size the region's capabilities need, then that size. The reply is what is needed, its
     * argsz that size (or, when the client left less room, the bare struct saying how much).
     */
    private VfioUserMessage regionInfo(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, REGION_INFO_SIZE, "vfio_region_info");
        long argsz = Integer.toUnsignedLong(p.getInt(p.position()));
        if (argsz < REGION_INFO_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "GET_REGION_INFO argsz " + argsz + " < " + REGION_INFO_SIZE);
        }
        int index = p.getInt(p.position() + 8);
        ByteBuffer arg = regionInfo(index, REGION_INFO_SIZE);
        int needed = arg.getInt(0);
        if (needed > REGION_INFO_SIZE) {
            if (needed > MAX_REGION_INFO) {
                throw new ErrnoException(Errno.EINVAL, "region " + index + " info needs " + needed + " bytes");
            }
            if (argsz >= needed) {
                arg = regionInfo(index, needed);
            }
        }
        int flags = arg.getInt(4);
        if ((flags & Vfio.VFIO_REGION_INFO_FLAG_MMAP) != 0) {
            java.util.Optional<FileDescriptor> file = device.regionFile(index);
            if (file.isPresent()) {
                arg.putLong(24, 0);
                return VfioUserMessage.reply(m, arg, file.get());
            }
            arg.putInt(4, flags & ~Vfio.VFIO_REGION_INFO_FLAG_MMAP);
        }
        return VfioUserMessage.reply(m, arg);
    }

    private ByteBuffer regionInfo(int index, int room) {
        ByteBuffer arg = ByteBuffer.allocate(room).order(ByteOrder.LITTLE_ENDIAN);
        arg.putInt(0, room).putInt(8, index);
        device.ioctl(Vfio.VFIO_DEVICE_GET_REGION_INFO, arg);
        return arg;
    }

    /**
     * SET_IRQS: the kernel's vfio_irq_set, where eventfds come as descriptors instead of
     * numbers. Each descriptor becomes an eventfd in this connection's file table whose
     * signals are written to the client's; none with DATA_EVENTFD de-assigns.
     */
    private VfioUserMessage setIrqs(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, IRQ_SET_SIZE, "vfio_irq_set");
        int base = p.position();
        int flags = p.getInt(base + 4);
        int index = p.getInt(base + 8);
        int start = p.getInt(base + 12);
        int count = p.getInt(base + 16);
        int dataType = flags & Vfio.VFIO_IRQ_SET_DATA_TYPE_MASK;
        ByteBuffer arg;
        if (dataType == Vfio.VFIO_IRQ_SET_DATA_EVENTFD) {
            List<FileDescriptor> fds = m.fds();
            if (!fds.isEmpty() && fds.size() != count) {
                throw new ErrnoException(Errno.EINVAL, "SET_IRQS of " + Integer.toUnsignedString(count) + " vectors came with "
                        + fds.size() + " descriptors");
            }
            if (Integer.compareUnsigned(count, MAX_MSG_FDS) > 0) {
                throw new ErrnoException(Errno.EINVAL, "SET_IRQS count " + Integer.toUnsignedString(count) + " > " + MAX_MSG_FDS);
            }
            arg = ByteBuffer.allocate(IRQ_SET_SIZE + 4 * count).order(ByteOrder.LITTLE_ENDIAN);
            List<ForwardedEventFd> added = new ArrayList<>();
            try {
                for (int i = 0; i < count; i++) {
                    if (fds.isEmpty()) {
                        arg.putInt(IRQ_SET_SIZE + 4 * i, -1);
                    } else {
                        ForwardedEventFd f = new ForwardedEventFd(fds.get(i));
                        added.add(f);
                        arg.putInt(IRQ_SET_SIZE + 4 * i, files.install(f.eventFd));
                    }
                }
            } catch (ErrnoException e) {
                added.forEach(f -> {
                    files.forget(f.eventFd);
                    f.close();
                });
                throw e;
            }
            fillIrqSet(arg, flags, index, start, count);
            try {
                device.ioctl(Vfio.VFIO_DEVICE_SET_IRQS, arg);
            } catch (ErrnoException e) {
                added.forEach(f -> {
                    files.forget(f.eventFd);
                    f.close();
                });
                throw e;
            }
            for (int i = 0; i < count; i++) {
                long key = ((long) index << 32) | Integer.toUnsignedLong(start + i);
                ForwardedEventFd old = fds.isEmpty() ? irqFds.remove(key) : irqFds.put(key, added.get(i));
                if (old != null) {
                    files.forget(old.eventFd);
                    old.close();
                }
            }
        } else {
            // count is a u32 from the wire: sized in long, so no count can wrap the check
            long dataSize = dataType == Vfio.VFIO_IRQ_SET_DATA_BOOL ? Integer.toUnsignedLong(count) : 0;
            if (p.remaining() < IRQ_SET_SIZE + dataSize) {
                throw new ErrnoException(Errno.EINVAL, "SET_IRQS with " + Integer.toUnsignedString(count)
                        + " booleans has " + (p.remaining() - IRQ_SET_SIZE) + " bytes of data");
            }
            closeFds(m.fds());
            arg = ByteBuffer.allocate(IRQ_SET_SIZE + (int) dataSize).order(ByteOrder.LITTLE_ENDIAN);
            arg.put(IRQ_SET_SIZE, p, base + IRQ_SET_SIZE, (int) dataSize);
            fillIrqSet(arg, flags, index, start, count);
            device.ioctl(Vfio.VFIO_DEVICE_SET_IRQS, arg);
            if (dataType == Vfio.VFIO_IRQ_SET_DATA_NONE && count == 0
                    && (flags & Vfio.VFIO_IRQ_SET_ACTION_TRIGGER) != 0) {
                dropIrqFds(index);   // the whole index disabled
            }
        }
        return VfioUserMessage.reply(m, ByteBuffer.allocate(0));
    }

    private static void fillIrqSet(ByteBuffer arg, int flags, int index, int start, int count) {
        arg.putInt(0, arg.capacity()).putInt(4, flags).putInt(8, index).putInt(12, start).putInt(16, count);
    }

    private void dropIrqFds(int index) {
        irqFds.entrySet().removeIf(e -> {
            if ((e.getKey() >>> 32) == index) {
                files.forget(e.getValue().eventFd);
                e.getValue().close();
                return true;
            }
            return false;
        });
    }

    // ---- region access ------------------------------------------------------------------

    /** The fixed part of REGION_READ/REGION_WRITE (and their replies): offset, region, count. */
    private record RegionAccess(long offset, int region, int count, int dataAt) {
        static RegionAccess of(VfioUserMessage m) {
            ByteBuffer p = VfioUserChannel.require(m, REGION_ACCESS_SIZE, "region access");
            int base = p.position();
            RegionAccess a = new RegionAccess(p.getLong(base), p.getInt(base + 8), p.getInt(base + 12),
                    base + REGION_ACCESS_SIZE);
            checkAccess(a.offset, a.region, a.count);
            return a;
        }

        long position() {
            return VfioRegions.position(region, offset);
        }

        /** The reply: the fixed part, then {@code data} bytes of room. */
        ByteBuffer reply(int data) {
            ByteBuffer reply = ByteBuffer.allocate(REGION_ACCESS_SIZE + data).order(ByteOrder.LITTLE_ENDIAN);
            return reply.putLong(0, offset).putInt(8, region).putInt(12, count);
        }

        void transferred(int n, String what) {
            if (n != count) {
                throw new ErrnoException(Errno.EIO, "region " + region + " " + what + " " + n + " of " + count + " bytes");
            }
        }
    }

    private VfioUserMessage regionRead(VfioUserMessage m) {
        RegionAccess a = RegionAccess.of(m);
        ByteBuffer reply = a.reply(a.count());
        a.transferred(device.read(reply.slice(REGION_ACCESS_SIZE, a.count()), a.position()), "read");
        return VfioUserMessage.reply(m, reply);
    }

    private VfioUserMessage regionWrite(VfioUserMessage m) {
        RegionAccess a = RegionAccess.of(m);
        ByteBuffer p = m.payload();
        if (p.remaining() - REGION_ACCESS_SIZE != a.count()) {
            throw new ErrnoException(Errno.EINVAL, "REGION_WRITE of " + a.count() + " bytes carries "
                    + (p.remaining() - REGION_ACCESS_SIZE));
        }
        a.transferred(device.write(p.slice(a.dataAt(), a.count()), a.position()), "wrote");
        return VfioUserMessage.reply(m, a.reply(0));
    }

    private static void checkAccess(long offset, int region, int count) {
        if (count <= 0 || count > DEFAULT_MAX_DATA_XFER_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "region access count " + Integer.toUnsignedString(count)
                    + " outside 1.." + DEFAULT_MAX_DATA_XFER_SIZE);
        }
        if (region < 0 || region >= 1 << (Long.SIZE - 1 - VfioRegions.OFFSET_SHIFT) || offset < 0
                || offset > VfioRegions.OFFSET_MASK) {
            throw new ErrnoException(Errno.EINVAL, "region " + Integer.toUnsignedString(region) + " offset 0x"
                    + Long.toHexString(offset) + " is outside every region");
        }
    }

    private VfioUserMessage reset(VfioUserMessage m) {
        device.ioctl(Vfio.VFIO_DEVICE_RESET, null);
        return VfioUserMessage.reply(m, ByteBuffer.allocate(0));
    }

    // ---- the end ------------------------------------------------------------------------

    private static void closeFds(List<FileDescriptor> fds) {
        Descriptors.close(fds);
    }

    /** Device closed, interrupts' descriptors closed, mappings gone with the container. */
    private void release() {
        channel.close();
        if (device != null) {
            device.close();
        }
        irqFds.values().forEach(ForwardedEventFd::close);
        irqFds.clear();
        if (group != null) {
            try {
                group.close();
            } catch (ErrnoException e) {
                LOG.log(Level.DEBUG, "closing the group of " + uuid + ": " + e);
            }
        }
        if (container != null) {
            container.close();   // unmaps every DMA mapping, frees PASIDs
        }
        dmaMaps.values().forEach(DmaMapping::unmap);
        dmaMaps.clear();
    }
}
