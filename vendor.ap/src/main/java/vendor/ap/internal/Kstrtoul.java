package vendor.ap.internal;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The kernel's kstrtoul(buf, 0, &res) as sysfs stores use it: one trailing newline allowed,
 * an optional '+', base from the prefix ("0x" with a hex digit after it: 16, else a leading
 * "0": 8, else 10), nothing else around the digits. EINVAL for anything malformed, ERANGE past
 * 2^64 - 1. The result is unsigned: compare it with {@link Long#compareUnsigned}.
 */
final class Kstrtoul {
    private Kstrtoul() {
    }

    static long parse(String buf) {
        String s = buf.endsWith("\n") ? buf.substring(0, buf.length() - 1) : buf;
        int at = s.startsWith("+") ? 1 : 0;
        int base = 10;
        if (at < s.length() && s.charAt(at) == '0') {
            if (at + 2 < s.length() && Character.toLowerCase(s.charAt(at + 1)) == 'x'
                    && Character.digit(s.charAt(at + 2), 16) >= 0) {
                base = 16;
                at += 2;
            } else {
                base = 8;
            }
        }
        if (at == s.length()) {
            throw new ErrnoException(Errno.EINVAL, "'" + printable(buf) + "' is not a number");
        }
        long value = 0;
        for (int i = at; i < s.length(); i++) {
            int digit = Character.digit(s.charAt(i), base);
            if (digit < 0 || s.charAt(i) > 'z') {
                throw new ErrnoException(Errno.EINVAL, "'" + printable(buf) + "' is not a base-" + base + " number");
            }
            // value * base + digit must stay below 2^64
            if (Long.compareUnsigned(value, Long.divideUnsigned(-1L - digit, base)) > 0) {
                throw new ErrnoException(Errno.ERANGE, "'" + printable(buf) + "' does not fit an unsigned long");
            }
            value = value * base + digit;
        }
        return value;
    }

    private static String printable(String buf) {
        return buf.replace("\n", "\\n");
    }
}
