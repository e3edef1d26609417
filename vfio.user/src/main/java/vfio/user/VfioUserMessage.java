package vfio.user;

import java.io.FileDescriptor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * One vfio-user message: its header fields, its payload (what follows the 16-byte header) and
 * the file descriptors that came or go with it as SCM_RIGHTS.
 */
public record VfioUserMessage(int id, int command, int flags, int error, ByteBuffer payload, List<FileDescriptor> fds) {
    public VfioUserMessage {
        payload = payload.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        fds = List.copyOf(fds);
    }

    public static VfioUserMessage command(int id, int command, ByteBuffer payload, FileDescriptor... fds) {
        return new VfioUserMessage(id, command, VfioUser.FLAGS_TYPE_COMMAND, 0, payload, List.of(fds));
    }

    public static VfioUserMessage reply(VfioUserMessage request, ByteBuffer payload, FileDescriptor... fds) {
        return new VfioUserMessage(request.id(), request.command(), VfioUser.FLAGS_TYPE_REPLY, 0, payload, List.of(fds));
    }

    /** An error reply: the header alone, with the Error flag and the errno. */
    public static VfioUserMessage error(VfioUserMessage request, Errno errno) {
        return new VfioUserMessage(request.id(), request.command(), VfioUser.FLAGS_TYPE_REPLY | VfioUser.FLAGS_ERROR,
                errno.number(), ByteBuffer.allocate(0), List.of());
    }

    public int type() {
        return flags & VfioUser.FLAGS_TYPE_MASK;
    }

    public boolean isReply() {
        return type() == VfioUser.FLAGS_TYPE_REPLY;
    }

    public boolean noReply() {
        return (flags & VfioUser.FLAGS_NO_REPLY) != 0;
    }

    public boolean isError() {
        return (flags & VfioUser.FLAGS_ERROR) != 0;
    }

    /** The size field of the header: header plus payload. */
    public int size() {
        return VfioUser.HEADER_SIZE + payload.remaining();
    }

    /** The 16 header bytes. */
    public ByteBuffer header() {
        ByteBuffer h = ByteBuffer.allocate(VfioUser.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.putShort(0, (short) id).putShort(2, (short) command).putInt(4, size()).putInt(8, flags).putInt(12, error);
        return h;
    }

    /**
     * Reads a header: message id, command, size, flags, error. A size below the header's or
     * above {@code maxSize}, or a type other than command or reply, is EINVAL: the stream
     * cannot be trusted after it.
     */
    public static int[] decodeHeader(ByteBuffer header, int maxSize) {
        if (header.remaining() < VfioUser.HEADER_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "vfio-user header needs 16 bytes, got " + header.remaining());
        }
        ByteBuffer h = header.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = h.position();
        int id = Short.toUnsignedInt(h.getShort(base));
        int command = Short.toUnsignedInt(h.getShort(base + 2));
        int size = h.getInt(base + 4);
        int flags = h.getInt(base + 8);
        int error = h.getInt(base + 12);
        if (size < VfioUser.HEADER_SIZE || Integer.compareUnsigned(size, maxSize) > 0) {
            throw new ErrnoException(Errno.EINVAL, "vfio-user message size " + Integer.toUnsignedString(size)
                    + " outside 16.." + maxSize);
        }
        int type = flags & VfioUser.FLAGS_TYPE_MASK;
        if (type != VfioUser.FLAGS_TYPE_COMMAND && type != VfioUser.FLAGS_TYPE_REPLY) {
            throw new ErrnoException(Errno.EINVAL, "vfio-user message type " + type + " is neither command nor reply");
        }
        return new int[] {id, command, size, flags, error};
    }

    @Override
    public String toString() {
        return (isReply() ? "reply " : "command ") + VfioUser.commandName(command) + " #" + id
                + (isError() ? " error " + error : "") + " (" + payload.remaining() + " bytes, " + fds.size() + " fds)";
    }
}
