package vfio.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The 256-byte config space of an emulated PCI function: values set up by the vendor, and for
 * each dword the bits a guest may write (the command register, BAR address bits, the interrupt
 * line, ...). A write merges its bytes into each dword it touches and changes only writable
 * bits, so BAR sizing (all ones) reads back the size mask. {@link #reset} restores the values
 * as they were when {@link #seal} was called. Not thread-safe: the device's lock guards it.
 */
public final class PciConfig {
    public static final int SIZE = 0x100;
    public static final int COMMAND = 0x04;
    public static final int COMMAND_IO = 0x0001;
    public static final int COMMAND_MEMORY = 0x0002;
    public static final int COMMAND_MASTER = 0x0004;
    public static final int COMMAND_INTX_DISABLE = 0x0400;
    public static final int BAR0 = 0x10;
    public static final int INTERRUPT_LINE = 0x3c;
    public static final int BAR_MEMORY_32 = 0x0;
    public static final int BAR_MEMORY_64 = 0x4;
    public static final int BAR_PREFETCH = 0x8;

    private final ByteBuffer bytes = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
    private final int[] writable = new int[SIZE / 4];
    private byte[] sealed;

    /** A function {@code vendor:device} whose command register takes {@code commandBits}; the interrupt line is writable. */
    public PciConfig(int vendor, int device, int commandBits) {
        put16(0x00, vendor).put16(0x02, device);
        writable(COMMAND, commandBits);
        writable(INTERRUPT_LINE, 0xff);
    }

    public PciConfig put8(int at, int value) {
        bytes.put(at, (byte) value);
        return this;
    }

    public PciConfig put16(int at, int value) {
        bytes.putShort(at, (short) value);
        return this;
    }

    public PciConfig put32(int at, int value) {
        bytes.putInt(at, value);
        return this;
    }

    /** Class code (base, sub, prog-if) and revision. */
    public PciConfig classCode(int classCode, int revision) {
        return put8(0x08, revision).put8(0x09, classCode).put8(0x0a, classCode >> 8).put8(0x0b, classCode >> 16);
    }

    public PciConfig subsystem(int vendor, int device) {
        return put16(0x2c, vendor).put16(0x2e, device);
    }

    /** Which bits of the dword at {@code dword} a guest may change. */
    public PciConfig writable(int dword, int mask) {
        writable[dword / 4] = mask;
        return this;
    }

    /** A 32-bit memory BAR of {@code size} bytes (a power of two, at least 16) with {@code flags} (prefetch). */
    public PciConfig memoryBar32(int bar, long size, int flags) {
        put32(BAR0 + 4 * bar, flags);
        return writable(BAR0 + 4 * bar, (int) ~(size - 1) & ~0xf);
    }

    /** A 64-bit memory BAR in {@code bar} and {@code bar + 1}. */
    public PciConfig memoryBar64(int bar, long size, int flags) {
        put32(BAR0 + 4 * bar, flags | BAR_MEMORY_64);
        writable(BAR0 + 4 * bar, (int) ~(size - 1) & ~0xf);
        return writable(BAR0 + 4 * bar + 4, (int) (~(size - 1) >>> 32));
    }

    /** The values set so far are the ones {@link #reset} restores. */
    public PciConfig seal() {
        sealed = bytes.array().clone();
        return this;
    }

    public void reset() {
        if (sealed != null) {
            System.arraycopy(sealed, 0, bytes.array(), 0, SIZE);
        }
    }

    public int get8(int at) {
        return bytes.get(at) & 0xff;
    }

    public int get16(int at) {
        return bytes.getShort(at) & 0xffff;
    }

    public int get32(int at) {
        return bytes.getInt(at);
    }

    /** Copies {@code dst.remaining()} bytes at {@code offset}; the caller has checked the range. */
    public void read(ByteBuffer dst, int offset) {
        dst.put(bytes.array(), offset, dst.remaining());
    }

    /** Applies {@code src.remaining()} bytes at {@code offset}, writable bits only; src's position is left alone. */
    public void write(ByteBuffer src, int offset) {
        int count = src.remaining();
        for (int i = 0; i < count; i++) {
            int at = offset + i;
            int dword = at & ~3;
            int mask = (writable[dword / 4] >>> (8 * (at - dword))) & 0xff;
            byte value = src.get(src.position() + i);
            bytes.put(at, (byte) ((bytes.get(at) & ~mask) | (value & mask)));
        }
    }
}
