package vfio.type1.internal;

/**
 * Mappings by IOVA page, as the hardware's page tables find them: a radix tree of 512-way nodes
 * over the 52-bit page number (six levels of 9 bits, the last of 7), in which an entry points to
 * the mapping itself when the mapping covers all of the entry's range (a "large page" at any
 * level) and to a child node otherwise. Finding the mapping of an IOVA costs at most six array
 * loads whatever the number of mappings; putting and removing a mapping touch the entries of its
 * range's edges, O(levels x 512) at worst. Not thread-safe: the IOMMU's lock guards it.
 */
final class IovaIndex {
    private static final int PAGE_SHIFT = 12;
    private static final int BITS = 9;
    private static final int FANOUT = 1 << BITS;
    /** Levels from the top: the top one indexes the highest 7 bits of the 52-bit page number. */
    private static final int LEVELS = 6;

    private final Object[] root = node();

    /** A node: FANOUT entries and, after them, the count of those not null (an int[1]), so emptiness is O(1). */
    private static Object[] node() {
        Object[] node = new Object[FANOUT + 1];
        node[FANOUT] = new int[1];
        return node;
    }

    private static void store(Object[] node, int i, Object value) {
        Object old = node[i];
        if ((old == null) != (value == null)) {
            ((int[]) node[FANOUT])[0] += value == null ? -1 : 1;
        }
        node[i] = value;
    }

    /** The mapping holding {@code iova}, or null. */
    DmaMapping find(long iova) {
        long page = iova >>> PAGE_SHIFT;
        Object[] node = root;
        for (int level = LEVELS - 1;; level--) {
            Object entry = node[(int) (page >>> (level * BITS)) & (FANOUT - 1)];
            if (entry == null || entry instanceof DmaMapping) {
                return (DmaMapping) entry;
            }
            node = (Object[]) entry;
        }
    }

    /** Indexes {@code dma} over its pages (which nothing else holds). */
    void put(DmaMapping dma) {
        set(root, LEVELS - 1, 0, dma.iova >>> PAGE_SHIFT, dma.last() >>> PAGE_SHIFT, dma);
    }

    /** Forgets {@code dma}'s pages. */
    void remove(DmaMapping dma) {
        set(root, LEVELS - 1, 0, dma.iova >>> PAGE_SHIFT, dma.last() >>> PAGE_SHIFT, null);
    }

    void clear() {
        java.util.Arrays.fill(root, 0, FANOUT, null);
        ((int[]) root[FANOUT])[0] = 0;
    }

    /**
     * Sets pages {@code [first, last]} to {@code value} under {@code node}, whose entries at
     * {@code level} each span 2^(9 x level) pages from {@code base}. Returns whether the node is
     * empty afterwards (so a parent can drop it).
     */
    private static boolean set(Object[] node, int level, long base, long first, long last, DmaMapping value) {
        int shift = level * BITS;
        long span = 1L << shift;
        int from = (int) ((first - base) >>> shift);
        int to = (int) ((last - base) >>> shift);
        for (int i = from; i <= to; i++) {
            long start = base + i * span;
            long end = start + span - 1;
            if (first <= start && end <= last) {
                store(node, i, value);   // the whole entry: a leaf at this level (or cleared)
                continue;
            }
            Object entry = node[i];
            Object[] child;
            if (entry instanceof Object[] c) {
                child = c;
            } else {
                if (value == null && entry == null) {
                    continue;
                }
                // a partial range: the entry becomes a node (a leaf it held is split over its children)
                child = node();
                if (entry != null) {
                    java.util.Arrays.fill(child, 0, FANOUT, entry);
                    ((int[]) child[FANOUT])[0] = FANOUT;
                }
                store(node, i, child);
            }
            boolean empty = set(child, level - 1, start, Math.max(first, start), Math.min(last, end), value);
            if (empty) {
                store(node, i, null);
            }
        }
        return ((int[]) node[FANOUT])[0] == 0;
    }
}
