package vendor.ccw.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

import vendor.ccw.Ccw;

/**
 * The simulated I/O device behind a subchannel: a block device kept in memory that executes
 * READ, WRITE, SEEK (8-byte big-endian byte offset), NOP, SENSE and SENSE ID. A command it
 * does not know ends with unit check and command-reject sense. Not thread-safe: its
 * subchannel runs one channel program at a time.
 */
final class BlockDevice {
    static final int SENSE_SIZE = 32;
    static final byte SENSE_COMMAND_REJECT = (byte) 0x80;
    /** SENSE ID: 0xff, control unit type 0x3990 model 0xe9, device type 0x3390 model 0x0c. */
    static final byte[] SENSE_ID = { (byte) 0xff, 0x39, (byte) 0x90, (byte) 0xe9, 0x33, (byte) 0x90, 0x0c };

    private final byte[] data;
    private final byte[] sense = new byte[SENSE_SIZE];
    private long position;

    BlockDevice(int capacity) {
        this.data = new byte[capacity];
    }

    int capacity() {
        return data.length;
    }

    /** Start of a channel program: the position goes back to 0. */
    void startProgram() {
        position = 0;
    }

    boolean knows(int cmd) {
        return cmd == Ccw.CMD_READ || cmd == Ccw.CMD_WRITE || cmd == Ccw.CMD_SEEK || cmd == Ccw.CMD_NOP
                || cmd == Ccw.CMD_SENSE || cmd == Ccw.CMD_SENSE_ID;
    }

    /** Bytes a command transfers to the channel at most (reads), or accepts (writes). */
    int available(int cmd) {
        return switch (cmd) {
            case Ccw.CMD_READ, Ccw.CMD_WRITE -> (int) (data.length - position);
            case Ccw.CMD_SEEK -> 8;
            case Ccw.CMD_SENSE -> SENSE_SIZE;
            case Ccw.CMD_SENSE_ID -> SENSE_ID.length;
            default -> 0;
        };
    }

    /** The device sends {@code out.remaining()} bytes (READ, SENSE, SENSE ID). */
    void produce(int cmd, ByteBuffer out) {
        switch (cmd) {
            case Ccw.CMD_READ -> {
                int n = out.remaining();
                out.put(data, (int) position, n);
                position += n;
            }
            case Ccw.CMD_SENSE -> {
                out.put(sense, 0, out.remaining());
                Arrays.fill(sense, (byte) 0);
            }
            case Ccw.CMD_SENSE_ID -> out.put(SENSE_ID, 0, out.remaining());
            default -> { }
        }
    }

    /** The device takes {@code in.remaining()} bytes (WRITE, SEEK). */
    void consume(int cmd, ByteBuffer in) {
        if (cmd == Ccw.CMD_WRITE) {
            int n = in.remaining();
            in.get(data, (int) position, n);
            position += n;
        } else if (cmd == Ccw.CMD_SEEK && in.remaining() >= 8) {
            long to = in.getLong();
            position = Math.max(0, Math.min(to, data.length));
        }
    }

    void reject() {
        sense[0] = SENSE_COMMAND_REJECT;
    }

    /** Whether the command moves data from the device to memory. */
    static boolean isRead(int cmd) {
        return cmd == Ccw.CMD_READ || cmd == Ccw.CMD_SENSE || cmd == Ccw.CMD_SENSE_ID;
    }

    byte[] contents(int offset, int length) {
        return Arrays.copyOfRange(data, offset, offset + length);
    }
}
