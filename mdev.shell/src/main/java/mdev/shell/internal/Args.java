package mdev.shell.internal;

import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.Vfio;

/** Parsing of command arguments; a bad value answers EINVAL naming it. */
final class Args {
    private Args() {
    }

    static UUID uuid(String text) {
        try {
            UUID uuid = UUID.fromString(text);
            if (!uuid.toString().equalsIgnoreCase(text)) {
                throw new IllegalArgumentException();
            }
            return uuid;
        } catch (IllegalArgumentException e) {
            throw new ErrnoException(Errno.EINVAL, "'" + text + "' is not a UUID");
        }
    }

    /** A number in decimal, 0x-hex or 0-octal, as kstrtoul with base 0 reads it. */
    static long number(String text, String what) {
        try {
            return Long.decode(text);
        } catch (NumberFormatException e) {
            throw new ErrnoException(Errno.EINVAL, what + " '" + text + "' is not a number");
        }
    }

    /**
     * A 64-bit value: decimal (signed), or 0x-hex of up to 16 digits read as the unsigned bits
     * a u64 holds (page-table entries, descriptor words).
     */
    static long u64(String text, String what) {
        if (text.startsWith("0x") || text.startsWith("0X")) {
            String digits = text.substring(2);
            if (digits.isEmpty() || digits.length() > 16 || !digits.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                throw new ErrnoException(Errno.EINVAL, what + " '" + text + "' is not a 64-bit hex number");
            }
            return Long.parseUnsignedLong(digits, 16);
        }
        return number(text, what);
    }

    /** A number in {@code [min, max]}; EINVAL naming the value and the range otherwise. */
    static int intIn(String text, String what, int min, int max) {
        long n = number(text, what);
        if (n < min || n > max) {
            throw new ErrnoException(Errno.EINVAL, what + " " + text + " is out of range " + min + ".." + max);
        }
        return (int) n;
    }

    /** A number that is not negative (an offset, an address, a size); EINVAL naming it otherwise. */
    static long unsigned(String text, String what) {
        long n = number(text, what);
        if (n < 0) {
            throw new ErrnoException(Errno.EINVAL, what + " " + text + " is negative");
        }
        return n;
    }

    /** A region index, or its vfio-pci name: bar0..bar5, rom, config, vga. */
    static int region(String text) {
        String name = text.toLowerCase();
        if (name.startsWith("bar") && name.length() == 4 && name.charAt(3) >= '0' && name.charAt(3) <= '5') {
            return name.charAt(3) - '0';
        }
        return switch (name) {
            case "rom" -> Vfio.VFIO_PCI_ROM_REGION_INDEX;
            case "config" -> Vfio.VFIO_PCI_CONFIG_REGION_INDEX;
            case "vga" -> Vfio.VFIO_PCI_VGA_REGION_INDEX;
            default -> {
                try {
                    yield intIn(text, "region", 0, Integer.MAX_VALUE);
                } catch (ErrnoException e) {
                    throw new ErrnoException(Errno.EINVAL, "region '" + text
                            + "' is none of bar0..bar5, rom, config, vga or an index");
                }
            }
        };
    }

    /** An irq index, or its vfio-pci name: intx, msi, msix, err, req. */
    static int irq(String text) {
        return switch (text.toLowerCase()) {
            case "intx" -> Vfio.VFIO_PCI_INTX_IRQ_INDEX;
            case "msi" -> Vfio.VFIO_PCI_MSI_IRQ_INDEX;
            case "msix" -> Vfio.VFIO_PCI_MSIX_IRQ_INDEX;
            case "err" -> Vfio.VFIO_PCI_ERR_IRQ_INDEX;
            case "req" -> Vfio.VFIO_PCI_REQ_IRQ_INDEX;
            default -> {
                try {
                    yield intIn(text, "irq index", 0, Integer.MAX_VALUE);
                } catch (ErrnoException e) {
                    throw new ErrnoException(Errno.EINVAL, "irq '" + text + "' is none of intx, msi, msix, err, req or an index");
                }
            }
        };
    }

    /** A byte count for one shell access, at most a page. */
    static int count(String text) {
        long n = number(text, "count");
        if (n < 0 || n > 4096) {
            throw new ErrnoException(Errno.EINVAL, "count " + text + " out of range 0..4096");
        }
        return (int) n;
    }

    static byte octet(String text) {
        long value = number(text, "byte");
        if (value < 0 || value > 255) {
            throw new ErrnoException(Errno.EINVAL, "byte " + text + " out of range 0..255");
        }
        return (byte) value;
    }

    static String hex(byte[] data) {
        StringBuilder sb = new StringBuilder();
        for (byte b : data) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(String.format("0x%02x", b & 0xff));
        }
        return sb.toString();
    }

    /**
     * The names of the bits set in {@code value}, in the order of {@code bits}, joined by
     * {@code separator}; empty when none is set.
     */
    static String bitNames(int value, String separator, int[] bits, String... names) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < bits.length; i++) {
            if ((value & bits[i]) != 0) {
                sb.append(sb.length() == 0 ? "" : separator).append(names[i]);
            }
        }
        return sb.toString();
    }
}
