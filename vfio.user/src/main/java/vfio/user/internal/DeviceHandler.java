package vfio.user.internal;

import static vfio.user.VfioUser.*;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.Vfio;
import vfio.core.VfioDeviceFile;
import vfio.user.VfioUserMessage;

/**
 * The device commands of one connection: GET_INFO, GET_REGION_INFO, GET_IRQ_INFO through the
 * device's own ioctl codec, REGION_READ and REGION_WRITE, RESET. Runs on the connection's
 * command thread.
 */
final class DeviceHandler {
    /** The largest GET_REGION_INFO reply we build (the struct and its capabilities). */
    private static final int MAX_REGION_INFO = 64 * 1024;

    private final VfioDeviceFile device;

    DeviceHandler(VfioDeviceFile device) {
        this.device = device;
    }

    /** An ioctl whose payload and reply are the kernel's fixed-size struct. */
    VfioUserMessage fixedIoctl(VfioUserMessage m, int cmd, ByteBuffer arg) {
        device.ioctl(cmd, arg);
        return VfioUserMessage.reply(m, arg);
    }

    /**
     * GET_REGION_INFO as user space asks the kernel: the fixed struct first, which tells the
     * size the region's capabilities need, then that size. The reply is what is needed, its
     * argsz that size (or, when the client left less room, the bare struct saying how much). A
     * region the client can mmap comes with the descriptor of the file behind it (offset 0: the
     * file's bytes are the region's, sparse areas included); a region with no such file loses
     * MMAP and is reached by REGION_READ/WRITE only.
     */
    VfioUserMessage regionInfo(VfioUserMessage m, Requests.RegionInfo r) {
        ByteBuffer arg = regionInfo(r.index(), REGION_INFO_SIZE);
        int needed = arg.getInt(0);
        if (needed > REGION_INFO_SIZE) {
            if (needed > MAX_REGION_INFO) {
                throw new ErrnoException(Errno.EINVAL, "region " + r.index() + " info needs " + needed + " bytes");
            }
            if (r.argsz() >= needed) {
                arg = regionInfo(r.index(), needed);
            }
        }
        int flags = arg.getInt(4);
        if ((flags & Vfio.VFIO_REGION_INFO_FLAG_MMAP) != 0) {
            Optional<FileDescriptor> file = device.regionFile(r.index());
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

    VfioUserMessage read(VfioUserMessage m, Requests.RegionAccess a) {
        ByteBuffer reply = a.reply(a.count());
        a.transferred(device.read(reply.slice(REGION_ACCESS_SIZE, a.count()), a.position()), "read");
        return VfioUserMessage.reply(m, reply);
    }

    VfioUserMessage write(VfioUserMessage m, Requests.RegionAccess a) {
        a.transferred(device.write(m.payload().slice(a.dataAt(), a.count()), a.position()), "wrote");
        return VfioUserMessage.reply(m, a.reply(0));
    }

    VfioUserMessage reset(VfioUserMessage m) {
        device.ioctl(Vfio.VFIO_DEVICE_RESET, null);
        return VfioUserMessage.reply(m, ByteBuffer.allocate(0));
    }
}
