package vendor.ap.internal;

import java.util.BitSet;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** The text of /sys/bus/ap/apmask and aqmask (ap_bus.c: hex2bitmap, modify_bitmap, the show). */
final class ApMask {
    static final int BITS = 256;

    private ApMask() {
    }

    /** "0x" + 64 hex digits + newline; id 0 is the most significant bit of the first digit. */
    static String show(BitSet mask) {
        StringBuilder out = new StringBuilder("0x");
        for (int nibble = 0; nibble < BITS / 4; nibble++) {
            int value = 0;
            for (int n = 0; n < 4; n++) {
                if (mask.get(nibble * 4 + n)) {
                    value |= 0x8 >> n;
                }
            }
            out.append(Character.forDigit(value, 16));
        }
        return out.append('\n').toString();
    }

    /** ap_parse_mask_str: relative ("+", "-") edits of {@code current}, else an absolute hex mask. */
    static BitSet parse(String text, BitSet current) {
        if (text.startsWith("+") || text.startsWith("-")) {
            return modify(text, (BitSet) current.clone());
        }
        return hex(text);
    }

    private static BitSet hex(String text) {
        int at = text.startsWith("0x") ? 2 : text.startsWith("x") ? 1 : 0;
        BitSet mask = new BitSet();
        int bit = 0;
        for (; at < text.length() && Character.digit(text.charAt(at), 16) >= 0 && text.charAt(at) < 0x80
                && bit < BITS; at++, bit += 4) {
            int value = Character.digit(text.charAt(at), 16);
            for (int n = 0; n < 4; n++) {
                if ((value & (0x8 >> n)) != 0) {
                    mask.set(bit + n);
                }
            }
        }
        if (at < text.length() && text.charAt(at) == '\n') {
            at++;
        }
        if (at != text.length()) {
            throw new ErrnoException(Errno.EINVAL, "mask '" + printable(text) + "' is not a hex mask of at most "
                    + BITS + " bits");
        }
        return mask;
    }

    private static BitSet modify(String text, BitSet mask) {
        int[] at = { 0 };
        while (at[0] < text.length()) {
            char sign = text.charAt(at[0]++);
            if (sign != '+' && sign != '-') {
                throw new ErrnoException(Errno.EINVAL, "'" + printable(text) + "': expected + or - at " + (at[0] - 1));
            }
            long first = number(text, at);
            long last = first;
            if (at[0] < text.length() && text.charAt(at[0]) == '-') {
                at[0]++;
                last = number(text, at);
                if (first > last) {
                    throw new ErrnoException(Errno.EINVAL, "'" + printable(text) + "': range " + first + "-" + last
                            + " runs backwards");
                }
            }
            mask.set((int) first, (int) last + 1, sign == '+');
            while (at[0] < text.length() && (text.charAt(at[0]) == ',' || text.charAt(at[0]) == '\n')) {
                at[0]++;
            }
        }
        return mask;
    }

    /** simple_strtoul(s, &end, 0) below BITS; EINVAL when no digit is there or it is too large. */
    private static long number(String text, int[] at) {
        int start = at[0];
        int base = 10;
        if (start < text.length() && text.charAt(start) == '0') {
            boolean hex = start + 2 < text.length() && Character.toLowerCase(text.charAt(start + 1)) == 'x'
                    && Character.digit(text.charAt(start + 2), 16) >= 0;
            base = hex ? 16 : 8;
            at[0] += hex ? 2 : 0;
        }
        long value = 0;
        int digits = 0;
        while (at[0] < text.length() && text.charAt(at[0]) < 0x80 && Character.digit(text.charAt(at[0]), base) >= 0
                && value < BITS) {
            value = value * base + Character.digit(text.charAt(at[0]++), base);
            digits++;
        }
        if (digits == 0 || value >= BITS) {
            throw new ErrnoException(Errno.EINVAL, "'" + printable(text) + "': no id below " + BITS + " at " + start);
        }
        return value;
    }

    private static String printable(String text) {
        return text.replace("\n", "\\n");
    }
}
