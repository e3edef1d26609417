package vfio.user.internal;

import static vfio.user.VfioUser.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.function.IntSupplier;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VfioContainer;
import vfio.core.VmAddressSpace;
import vfio.core.VmMemory;
import vfio.user.VfioUserMessage;

/**
 * DMA_MAP and DMA_UNMAP of one connection: the client's DMA address is both the VM address of
 * the connection's address space and the IOVA of its container (a 1:1 mapping), so vendors reach
 * client memory through type1 as always. Memory that comes with a descriptor is mapped here;
 * memory without one is reached by DMA_READ/DMA_WRITE messages to the client. Runs on the
 * connection's command thread only.
 */
final class DmaHandler {
    /** Sends a server-to-client command and returns the client's reply (errors as ErrnoException). */
    interface ClientRequests {
        VfioUserMessage ask(int command, ByteBuffer payload);
    }

    /** {@code memory} is null for memory reached by messages. */
    private record DmaMapping(long address, long size, NativeMapping memory) {
        /** munmap of the client's memory: only once type1 and the VM have let go of it. */
        void unmap() {
            if (memory != null) {
                memory.close();
            }
        }
    }

    private final VmAddressSpace vm;
    private final VfioContainer container;
    private final ClientRequests client;
    private final IntSupplier clientMaxDataXfer;
    /** DMA maps by address: what was mapped, to unmap and release. */
    private final Map<Long, DmaMapping> maps = new HashMap<>();

    DmaHandler(VmAddressSpace vm, VfioContainer container, ClientRequests client, IntSupplier clientMaxDataXfer) {
        this.vm = vm;
        this.container = container;
        this.client = client;
        this.clientMaxDataXfer = clientMaxDataXfer;
    }

    VfioUserMessage map(VfioUserMessage m, Requests.DmaMap r) {
        if (maps.containsKey(r.address()) || overlaps(r.address(), r.size())) {
            throw new ErrnoException(Errno.EEXIST, "DMA_MAP 0x" + Long.toHexString(r.address()) + "+0x"
                    + Long.toHexString(r.size()) + " overlaps a mapping");
        }
        NativeMapping memory = null;
        if (r.fd() == null) {
            vm.attach(r.address(), new ClientMemory(r.address(), r.size()));
        } else {
            memory = mapFile(r);
            try {
                vm.attach(r.address(), memory.buffer());
            } catch (ErrnoException e) {
                memory.close();
                throw e;
            }
        }
        DmaMapping mapping = new DmaMapping(r.address(), r.size(), memory);
        try {
            container.mapDma(r.address(), r.address(), r.size(), r.vfioFlags());
        } catch (ErrnoException e) {
            vm.free(r.address());
            mapping.unmap();
            throw e;
        }
        maps.put(r.address(), mapping);
        return VfioUserMessage.reply(m, ByteBuffer.allocate(0));
    }

    /** mmap of the client's descriptor, which is closed once mapped. */
    private static NativeMapping mapFile(Requests.DmaMap r) {
        try {
            return Descriptors.mapNative(r.fd(), r.offset(), r.size(), r.writable());
        } catch (IOException e) {
            throw new ErrnoException(Errno.EINVAL, "cannot map the DMA_MAP descriptor: " + e.getMessage(), e);
        }
    }

    private boolean overlaps(long address, long size) {
        for (DmaMapping d : maps.values()) {
            if (address < d.address() + d.size() && d.address() < address + size) {
                return true;
            }
        }
        return false;
    }

    VfioUserMessage unmap(VfioUserMessage m, Requests.DmaUnmap r) {
        DmaMapping d = maps.get(r.address());
        if (d == null || d.size() != r.size()) {
            throw new ErrnoException(Errno.EINVAL, "DMA_UNMAP 0x" + Long.toHexString(r.address()) + "+0x"
                    + Long.toHexString(r.size()) + " matches no mapping exactly");
        }
        // unmapping notifies vendors, which unpin: nothing of the region stays in use, and the
        // client's memory is unmapped before the reply, as the spec asks
        container.unmapDma(r.address(), r.size());
        vm.free(r.address());
        maps.remove(r.address()).unmap();
        ByteBuffer reply = ByteBuffer.allocate(DMA_UNMAP_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        reply.put(0, r.entry(), 0, DMA_UNMAP_SIZE);
        return VfioUserMessage.reply(m, reply);
    }

    /** After the container is closed (every mapping gone from type1): unmaps the client's files. */
    void release() {
        maps.values().forEach(DmaMapping::unmap);
        maps.clear();
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
                int chunk = Math.min(length - done, clientMaxDataXfer.getAsInt());
                ByteBuffer p = ByteBuffer.allocate(DMA_ACCESS_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, address + offset + done).putLong(8, chunk);
                ByteBuffer r = client.ask(VFIO_USER_DMA_READ, p).payload();
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
                int chunk = Math.min(length - done, clientMaxDataXfer.getAsInt());
                ByteBuffer p = ByteBuffer.allocate(DMA_ACCESS_SIZE + chunk).order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(0, address + offset + done).putLong(8, chunk);
                p.put(DMA_ACCESS_SIZE, src, srcPos + done, chunk);
                client.ask(VFIO_USER_DMA_WRITE, p);
                done += chunk;
            }
        }
    }
}
