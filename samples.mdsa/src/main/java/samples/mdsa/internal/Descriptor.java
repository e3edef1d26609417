package samples.mdsa.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A 64-byte work descriptor as DSA lays it out (include/uapi/linux/idxd.h's dsa_hw_desc):
 * PASID and privilege in the first dword, flags and opcode in the second, then the completion
 * record address, source (or fill pattern), destination and transfer size, little-endian.
 *
 * <p>{@link #decode} only splits the bytes; {@link #check} is the validator, apart from the
 * engine that runs a valid descriptor, and answers the completion status a device reports for
 * a malformed one (hardware reports in the completion record, it does not fail the write).
 */
record Descriptor(int pasid, boolean priv, int reservedPasidBits, int flags, int opcode, long completionAddr,
        long src, long dst, int xferSize, boolean reservedBytesZero) {
    static final int SIZE = 64;

    static final int OPCODE_NOOP = 0x00;
    static final int OPCODE_MEMMOVE = 0x03;
    static final int OPCODE_MEMFILL = 0x04;

    static final int FLAG_FENCE = 0x0001;
    /** Completion record address valid. */
    static final int FLAG_CRAV = 0x0004;
    /** Request a completion record (without it, a record is written only on error). */
    static final int FLAG_RCR = 0x0008;
    /** Request a completion interrupt. */
    static final int FLAG_RCI = 0x0010;
    /** Cache control: a hint this device has no cache for. */
    static final int FLAG_CC = 0x0100;
    static final int SUPPORTED_FLAGS = FLAG_FENCE | FLAG_CRAV | FLAG_RCR | FLAG_RCI | FLAG_CC;

    /** Completion statuses, DSA's numbers. */
    static final int STATUS_NONE = 0x00;
    static final int STATUS_SUCCESS = 0x01;
    static final int STATUS_PAGE_FAULT = 0x03;
    static final int STATUS_INVALID_OPCODE = 0x10;
    static final int STATUS_INVALID_FLAGS = 0x11;
    static final int STATUS_NONZERO_RESERVED = 0x12;
    static final int STATUS_INVALID_SIZE = 0x13;
    /** The completion record address is not 32-byte aligned. */
    static final int STATUS_INVALID_COMPLETION_ADDR = 0x1b;
    /** The work queue's device has no IOMMU domain (opened outside a container). */
    static final int STATUS_NO_IOMMU = 0x1f;

    /** The largest transfer of one descriptor (the WQ's max transfer size). */
    static final int MAX_XFER = 0x10000;
    static final int COMPLETION_RECORD_SIZE = 32;

    static Descriptor decode(ByteBuffer src) {
        ByteBuffer d = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = d.position();
        int word0 = d.getInt(base);
        int word1 = d.getInt(base + 4);
        boolean zero = d.getShort(base + 0x26) == 0;
        for (int at = 0x28; at < SIZE; at += 8) {
            zero &= d.getLong(base + at) == 0;
        }
        return new Descriptor(word0 & 0xfffff, word0 < 0, (word0 >>> 20) & 0x7ff, word1 & 0xffffff, word1 >>> 24,
                d.getLong(base + 8), d.getLong(base + 0x10), d.getLong(base + 0x18), d.getInt(base + 0x20),
                zero);
    }

    /** The status a device reports for this descriptor before running it; STATUS_NONE if valid. */
    int check() {
        if (opcode != OPCODE_NOOP && opcode != OPCODE_MEMMOVE && opcode != OPCODE_MEMFILL) {
            return STATUS_INVALID_OPCODE;
        }
        if ((flags & ~SUPPORTED_FLAGS) != 0 || priv) {
            return STATUS_INVALID_FLAGS;   // a guest's work queue takes no privileged descriptors
        }
        if (reservedPasidBits != 0 || !reservedBytesZero) {
            return STATUS_NONZERO_RESERVED;
        }
        if ((flags & FLAG_CRAV) != 0 && (completionAddr & (COMPLETION_RECORD_SIZE - 1)) != 0) {
            return STATUS_INVALID_COMPLETION_ADDR;
        }
        if (opcode != OPCODE_NOOP && (xferSize <= 0 || xferSize > MAX_XFER)) {
            return STATUS_INVALID_SIZE;
        }
        return STATUS_NONE;
    }

    /** Encodes it back, as a guest driver writes it (tests and the shell's examples use it). */
    ByteBuffer encode() {
        ByteBuffer d = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        d.putInt(0, pasid & 0xfffff | (reservedPasidBits & 0x7ff) << 20 | (priv ? 1 << 31 : 0));
        d.putInt(4, flags & 0xffffff | opcode << 24);
        d.putLong(8, completionAddr).putLong(0x10, src).putLong(0x18, dst).putInt(0x20, xferSize);
        return d;
    }

    static Descriptor of(int pasid, int opcode, int flags, long completionAddr, long src, long dst, int xferSize) {
        return new Descriptor(pasid, false, 0, flags, opcode, completionAddr, src, dst, xferSize, true);
    }
}
