package vfio.user.internal;

import static vfio.user.VfioUser.*;

import java.io.FileDescriptor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalInt;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.Vfio;
import vfio.core.VfioRegions;
import vfio.core.VmAddressSpace;
import vfio.user.VfioUserChannel;
import vfio.user.VfioUserMessage;

/**
 * The validators of a client's commands, kept apart from the handlers as libvfio-user keeps
 * its {@code is_valid_*} checks: each reads one command's payload (little-endian, the layout of
 * QEMU's docs/interop/vfio-user.rst), checks every field the protocol constrains, and returns
 * it typed, or throws EINVAL naming the bad value. Sizes from the wire are u32/u64 and are
 * compared as unsigned, in arithmetic that cannot wrap. Nothing here reads or changes a
 * connection's state; descriptors are passed on, not closed.
 */
final class Requests {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Requests() {
    }

    /** VERSION: major, minor, and the client's max_data_xfer_size if it names one. */
    record Version(int major, int minor, OptionalInt maxDataXfer) {
    }

    static Version version(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, 4, "version");
        int major = Short.toUnsignedInt(p.getShort(p.position()));
        int minor = Short.toUnsignedInt(p.getShort(p.position() + 2));
        if (major != VERSION_MAJOR) {
            throw new ErrnoException(Errno.EINVAL, "vfio-user major version " + major + " is not " + VERSION_MAJOR);
        }
        OptionalInt maxDataXfer = OptionalInt.empty();
        if (p.remaining() > 4) {
            byte[] json = new byte[p.remaining() - 4];
            p.get(p.position() + 4, json);
            int end = json.length;
            while (end > 0 && json[end - 1] == 0) {
                end--;   // the JSON is NUL-terminated
            }
            maxDataXfer = capabilities(new String(json, 0, end, StandardCharsets.UTF_8));
        }
        return new Version(major, minor, maxDataXfer);
    }

    private static OptionalInt capabilities(String text) {
        if (text.isBlank()) {
            return OptionalInt.empty();
        }
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new ErrnoException(Errno.EINVAL, "VERSION capabilities are not JSON: " + e.getMessage());
        }
        JsonNode caps = root == null ? null : root.get("capabilities");
        if (caps == null) {
            return OptionalInt.empty();
        }
        if (!caps.isObject()) {
            throw new ErrnoException(Errno.EINVAL, "VERSION capabilities is not an object: " + caps);
        }
        JsonNode fds = caps.get("max_msg_fds");
        if (fds != null && (!fds.canConvertToInt() || fds.asInt() < 0)) {
            throw new ErrnoException(Errno.EINVAL, "max_msg_fds " + fds + " is not a number");
        }
        JsonNode xfer = caps.get("max_data_xfer_size");
        if (xfer == null) {
            return OptionalInt.empty();
        }
        if (!xfer.canConvertToInt() || xfer.asInt() <= 0) {
            throw new ErrnoException(Errno.EINVAL, "max_data_xfer_size " + xfer + " is not a positive number");
        }
        return OptionalInt.of(xfer.asInt());
    }

    /** DMA_MAP: a page-aligned range of at most 2 GiB, with the client's file (or none: by messages). */
    record DmaMap(int flags, long offset, long address, long size, FileDescriptor fd) {
        boolean writable() {
            return (flags & DMA_FLAG_WRITE) != 0;
        }

        /** The container's map flags for this map's protection. */
        int vfioFlags() {
            return ((flags & DMA_FLAG_READ) != 0 ? Vfio.VFIO_DMA_MAP_FLAG_READ : 0)
                    | (writable() ? Vfio.VFIO_DMA_MAP_FLAG_WRITE : 0);
        }
    }

    static DmaMap dmaMap(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, DMA_MAP_SIZE, "vfio_user_dma_map");
        int base = p.position();
        int argsz = p.getInt(base);
        int flags = p.getInt(base + 4);
        long offset = p.getLong(base + 8);
        long address = p.getLong(base + 16);
        long size = p.getLong(base + 24);
        if (Integer.compareUnsigned(argsz, DMA_MAP_SIZE) < 0) {
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
        return new DmaMap(flags, offset, address, size, m.fds().isEmpty() ? null : m.fds().get(0));
    }

    /** DMA_UNMAP: the range, and the entry as it came (the reply echoes it). */
    record DmaUnmap(long address, long size, ByteBuffer entry) {
    }

    static DmaUnmap dmaUnmap(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, DMA_UNMAP_SIZE, "vfio_user_dma_unmap");
        int base = p.position();
        int argsz = p.getInt(base);
        int flags = p.getInt(base + 4);
        if (Integer.compareUnsigned(argsz, DMA_UNMAP_SIZE) < 0 || flags != 0) {
            throw new ErrnoException(Errno.EINVAL, "DMA_UNMAP argsz " + Integer.toUnsignedString(argsz)
                    + " flags 0x" + Integer.toHexString(flags));
        }
        return new DmaUnmap(p.getLong(base + 8), p.getLong(base + 16), p.slice(base, DMA_UNMAP_SIZE));
    }

    /**
     * A command whose payload is a kernel struct of {@code size} bytes, argsz first
     * (GET_INFO, GET_IRQ_INFO): a copy of it with argsz set to {@code size}, for the ioctl.
     */
    static ByteBuffer fixedStruct(VfioUserMessage m, int size) {
        ByteBuffer p = VfioUserChannel.require(m, size, "struct of");
        int argsz = p.getInt(p.position());
        if (Integer.compareUnsigned(argsz, size) < 0) {
            throw new ErrnoException(Errno.EINVAL, commandName(m.command()) + " argsz "
                    + Integer.toUnsignedString(argsz) + " < " + size);
        }
        ByteBuffer arg = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        arg.put(0, p, p.position(), size);
        return arg.putInt(0, size);
    }

    /** GET_REGION_INFO: the room the client gave (an unsigned argsz) and the region. */
    record RegionInfo(long argsz, int index) {
    }

    static RegionInfo regionInfo(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, REGION_INFO_SIZE, "vfio_region_info");
        long argsz = Integer.toUnsignedLong(p.getInt(p.position()));
        if (argsz < REGION_INFO_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "GET_REGION_INFO argsz " + argsz + " < " + REGION_INFO_SIZE);
        }
        return new RegionInfo(argsz, p.getInt(p.position() + 8));
    }

    /**
     * SET_IRQS: the kernel's vfio_irq_set header; for DATA_EVENTFD the descriptors (one per
     * vector, or none to de-assign), for DATA_BOOL the {@code count} booleans.
     */
    record IrqSet(int flags, int index, int start, int count, ByteBuffer bools, List<FileDescriptor> fds) {
        int dataType() {
            return flags & Vfio.VFIO_IRQ_SET_DATA_TYPE_MASK;
        }
    }

    static IrqSet setIrqs(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, IRQ_SET_SIZE, "vfio_irq_set");
        int base = p.position();
        int flags = p.getInt(base + 4);
        int index = p.getInt(base + 8);
        int start = p.getInt(base + 12);
        int count = p.getInt(base + 16);
        int dataType = flags & Vfio.VFIO_IRQ_SET_DATA_TYPE_MASK;
        if (dataType == Vfio.VFIO_IRQ_SET_DATA_EVENTFD) {
            if (!m.fds().isEmpty() && m.fds().size() != count) {
                throw new ErrnoException(Errno.EINVAL, "SET_IRQS of " + Integer.toUnsignedString(count)
                        + " vectors came with " + m.fds().size() + " descriptors");
            }
            if (Integer.compareUnsigned(count, MAX_MSG_FDS) > 0) {
                throw new ErrnoException(Errno.EINVAL, "SET_IRQS count " + Integer.toUnsignedString(count)
                        + " > " + MAX_MSG_FDS);
            }
            return new IrqSet(flags, index, start, count, ByteBuffer.allocate(0), m.fds());
        }
        // count is a u32: sized in long, so no count can wrap the check
        long bools = dataType == Vfio.VFIO_IRQ_SET_DATA_BOOL ? Integer.toUnsignedLong(count) : 0;
        if (p.remaining() < IRQ_SET_SIZE + bools) {
            throw new ErrnoException(Errno.EINVAL, "SET_IRQS with " + Integer.toUnsignedString(count)
                    + " booleans has " + (p.remaining() - IRQ_SET_SIZE) + " bytes of data");
        }
        return new IrqSet(flags, index, start, count, p.slice(base + IRQ_SET_SIZE, (int) bools), m.fds());
    }

    /** REGION_READ/REGION_WRITE (and their replies): offset, region, count, where data starts. */
    record RegionAccess(long offset, int region, int count, int dataAt) {
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

    static RegionAccess regionRead(VfioUserMessage m) {
        return regionAccess(m);
    }

    /** REGION_WRITE: the access, whose payload carries exactly {@code count} bytes of data. */
    static RegionAccess regionWrite(VfioUserMessage m) {
        RegionAccess a = regionAccess(m);
        int carried = m.payload().remaining() - REGION_ACCESS_SIZE;
        if (carried != a.count()) {
            throw new ErrnoException(Errno.EINVAL, "REGION_WRITE of " + a.count() + " bytes carries " + carried);
        }
        return a;
    }

    private static RegionAccess regionAccess(VfioUserMessage m) {
        ByteBuffer p = VfioUserChannel.require(m, REGION_ACCESS_SIZE, "region access");
        int base = p.position();
        long offset = p.getLong(base);
        int region = p.getInt(base + 8);
        int count = p.getInt(base + 12);
        if (count <= 0 || count > DEFAULT_MAX_DATA_XFER_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "region access count " + Integer.toUnsignedString(count)
                    + " outside 1.." + DEFAULT_MAX_DATA_XFER_SIZE);
        }
        if (region < 0 || region >= 1 << (Long.SIZE - 1 - VfioRegions.OFFSET_SHIFT) || offset < 0
                || offset > VfioRegions.OFFSET_MASK) {
            throw new ErrnoException(Errno.EINVAL, "region " + Integer.toUnsignedString(region) + " offset 0x"
                    + Long.toHexString(offset) + " is outside every region");
        }
        return new RegionAccess(offset, region, count, base + REGION_ACCESS_SIZE);
    }
}
