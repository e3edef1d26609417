package vfio.core;

/**
 * The region offset encoding of vfio-pci and the mdev samples: a file position is
 * {@code index << 40 | offset} (VFIO_PCI_OFFSET_SHIFT).
 */
public final class VfioRegions {
    public static final int OFFSET_SHIFT = 40;
    public static final long OFFSET_MASK = (1L << OFFSET_SHIFT) - 1;

    private VfioRegions() {
    }

    public static long position(int index, long offset) {
        return ((long) index << OFFSET_SHIFT) | (offset & OFFSET_MASK);
    }

    public static int index(long position) {
        return (int) (position >>> OFFSET_SHIFT);
    }

    public static long offset(long position) {
        return position & OFFSET_MASK;
    }
}
