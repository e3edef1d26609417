package vfio.user.internal;

import static vfio.user.VfioUser.*;

import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
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

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;
import vfio.user.VfioUserChannel;
import vfio.user.VfioUserMessage;
import mdev.log.Logs;

/**
 * One client of a served device. The connection owns a VM address space, a type1 container
 * with the device's group in it, and the open device: the client's DMA maps become the
 * container's mappings (vendors reach client memory through the IOMMU as always), its
 * eventfds the device's interrupt eventfds. This class is the transport: the socket's reader,
 * the bounded command queue and its worker, server-to-client requests and the release. Each
 * command is checked by a validator ({@link Requests}) and run by a handler of its concern
 * ({@link Handshake}, {@link DmaHandler}, {@link IrqHandler}, {@link DeviceHandler}), one at a
 * time, in order; everything the client held is released when it goes.
 */
final class Connection implements Runnable {
    private static final System.Logger LOG = Logs.of(Connection.class);

    private final VfioUserChannel channel;
    private final UUID uuid;
    private final VfioService vfio;
    private final Runnable onClose;
    private final VmAddressSpace vm;
    private final FileTable files = new FileTable();
    private final Handshake handshake = new Handshake();
    private VfioContainer container;
    private VfioGroup group;
    private VfioDeviceFile device;
    /** The handlers, made once the device is open; used by the command thread only. */
    private DmaHandler dma;
    private IrqHandler irqs;
    private DeviceHandler deviceCommands;
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

    /** The client's max_data_xfer_size, for server-to-client transfers. */
    int clientMaxDataXfer() {
        return handshake.clientMaxDataXfer();
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
        dma = new DmaHandler(vm, container, this::ask, handshake::clientMaxDataXfer);
        irqs = new IrqHandler(device, files);
        deviceCommands = new DeviceHandler(device);
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

    /**
     * How long the worker keeps looking for the next command before it sleeps: a VMM's next
     * command usually follows its last reply within a round trip, and finding it awake saves
     * the wake-up that would otherwise be a third of a round trip (docs/performance.md).
     */
    private static final long SPIN_NANOS = 50_000;

    /** The next command: spins a moment after the last one, then blocks. */
    private VfioUserMessage next() throws InterruptedException {
        long until = System.nanoTime() + SPIN_NANOS;
        VfioUserMessage m;
        while ((m = commands.poll()) == null) {
            if (System.nanoTime() - until > 0) {
                return commands.take();
            }
            Thread.onSpinWait();
        }
        return m;
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
                VfioUserMessage m = next();
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
                    handshakeFailed = !handshake.negotiated();
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

    private void send(VfioUserMessage request, VfioUserMessage reply) throws IOException {
        if (!request.noReply()) {
            channel.send(reply);
        }
    }

    /** Each command checked by its validator ({@link Requests}), then run by its handler. */
    private VfioUserMessage handle(VfioUserMessage m) {
        if (!handshake.negotiated() && m.command() != VFIO_USER_VERSION) {
            throw new ErrnoException(Errno.EINVAL, VFIO_USER_VERSION + " must come first, got " + commandName(m.command()));
        }
        return switch (m.command()) {
            case VFIO_USER_VERSION -> handshake.version(m, Requests.version(m));
            case VFIO_USER_DMA_MAP -> dma.map(m, Requests.dmaMap(m));
            case VFIO_USER_DMA_UNMAP -> dma.unmap(m, Requests.dmaUnmap(m));
            case VFIO_USER_DEVICE_GET_INFO -> deviceCommands.fixedIoctl(m, Vfio.VFIO_DEVICE_GET_INFO,
                    Requests.fixedStruct(m, DEVICE_INFO_SIZE));
            case VFIO_USER_DEVICE_GET_REGION_INFO -> deviceCommands.regionInfo(m, Requests.regionInfo(m));
            case VFIO_USER_DEVICE_GET_IRQ_INFO -> deviceCommands.fixedIoctl(m, Vfio.VFIO_DEVICE_GET_IRQ_INFO,
                    Requests.fixedStruct(m, IRQ_INFO_SIZE));
            case VFIO_USER_DEVICE_SET_IRQS -> irqs.setIrqs(m, Requests.setIrqs(m));
            case VFIO_USER_REGION_READ -> deviceCommands.read(m, Requests.regionRead(m));
            case VFIO_USER_REGION_WRITE -> deviceCommands.write(m, Requests.regionWrite(m));
            case VFIO_USER_DEVICE_RESET -> deviceCommands.reset(m);
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

    // ---- the end ------------------------------------------------------------------------

    private static void closeFds(List<FileDescriptor> fds) {
        Descriptors.close(fds);
    }

    /** Device closed, interrupts' descriptors closed, mappings gone with the container, then unmapped. */
    private void release() {
        channel.close();
        if (device != null) {
            device.close();
        }
        if (irqs != null) {
            irqs.release();
        }
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
        if (dma != null) {
            dma.release();
        }
    }
}
