package vfio.type1.internal;

/**
 * Mappings by IOVA page, as the hardware's page tables find them: a radix tree of 512-way nodes
 * over the 52-bit page number (six levels of 9 bits, the last of 7), in which an entry points to
 * the mapping itself when the mapping covers all of the entry's range (a "large page" at any
 * level above the last) and to a child node otherwise. Finding the mapping of an IOVA costs at
 * most six array loads whatever the number of mappings; putting and removing a mapping touch the
 * entries of its range's edges, O(levels x 512) at worst. Not thread-safe: the IOMMU's lock
 * guards it.
 *
 * <p>The last level ({@link Leaf}, one entry per 4 KiB page) also keeps each page's translation
 * as a page table entry of its own, a {@code long}: the index of the mapping's backing memory in
 * the IOMMU's table of backings, the page's offset in it, and the mapping's protection. With many
 * small mappings, an access then reads one entry and never touches the mapping object, which
 * among 100k of them is a cache miss of its own.
 */
final class IovaIndex {
    private static final int PAGE_SHIFT = 12;
    private static final int BITS = 9;
    private static final int FANOUT = 1 << BITS;
    /** Levels from the top: the top one indexes the highest 7 bits of the 52-bit page number. */
    private static final int LEVELS = 6;

    /** Where a page table entry keeps its backing's index (20 bits). */
    static final int PTE_BACKING_SHIFT = 44;
    /** The page's byte offset in its backing (a region is at most 2 GiB). */
    static final long PTE_OFFSET_MASK = ((1L << PTE_BACKING_SHIFT) - 1) & ~((1L << PAGE_SHIFT) - 1);
    /** The mapping's IOMMU_READ / IOMMU_WRITE bits; an entry without either is no translation. */
    static final long PTE_PROT_MASK = 3;

    private final Object[] root = node();

    /** The last level: 512 pages, each with its mapping and its page table entry. */
    private static final class Leaf {
        final DmaMapping[] mappings = new DmaMapping[FANOUT];
        final long[] ptes = new long[FANOUT];
        int count;

        void set(int i, DmaMapping value, long page) {
            if ((mappings[i] == null) != (value == null)) {
                count += value == null ? -1 : 1;
            }
            mappings[i] = value;
            ptes[i] = value == null ? 0 : pte(value, page);
        }
    }

    /** The entry of {@code page} of {@code dma}. */
    static long pte(DmaMapping dma, long page) {
        long offset = dma.backingOffset + ((page << PAGE_SHIFT) - dma.iova);
        return (long) dma.backingIndex << PTE_BACKING_SHIFT | offset | (dma.prot & PTE_PROT_MASK);
    }

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
        Object entry = walk(page);
        return entry instanceof Leaf leaf ? leaf.mappings[(int) page & (FANOUT - 1)] : (DmaMapping) entry;
    }

    /**
     * The page table entry of {@code iova}'s page: 0 if nothing is mapped there, or if a mapping
     * covers the page from a higher level (then {@link #find} has it).
     */
    long pte(long iova) {
        long page = iova >>> PAGE_SHIFT;
        return walk(page) instanceof Leaf leaf ? leaf.ptes[(int) page & (FANOUT - 1)] : 0;
    }

    /** Where the walk for {@code page} ends: its leaf, the mapping covering it from above, or null. */
    private Object walk(long page) {
        Object[] node = root;
        for (int level = LEVELS - 1;; level--) {
            Object entry = node[(int) (page >>> (level * BITS)) & (FANOUT - 1)];
            if (!(entry instanceof Object[] child)) {
                return entry;
            }
            node = child;
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
                store(node, i, value);   // the whole entry: a large page at this level (or cleared)
                continue;
            }
            Object entry = node[i];
            if (level == 1) {
                Leaf leaf = leafAt(node, i, entry, start, value);
                if (leaf == null) {
                    continue;
                }
                for (long page = Math.max(first, start); page <= Math.min(last, end); page++) {
                    leaf.set((int) (page - start), value, page);
                }
                if (leaf.count == 0) {
                    store(node, i, null);
                }
                continue;
            }
            Object[] child;
            if (entry instanceof Object[] c) {
                child = c;
            } else {
                if (value == null && entry == null) {
                    continue;
                }
                // a partial range: the entry becomes a node (a mapping it held is split over its children)
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

    /**
     * The leaf under entry {@code i} of a last-but-one node, made if needed (a mapping the entry
     * held whole is spread over its pages); null if there is none and nothing is to be set.
     */
    private static Leaf leafAt(Object[] node, int i, Object entry, long start, DmaMapping value) {
        if (entry instanceof Leaf leaf) {
            return leaf;
        }
        if (value == null && entry == null) {
            return null;
        }
        Leaf leaf = new Leaf();
        if (entry instanceof DmaMapping whole) {
            for (int p = 0; p < FANOUT; p++) {
                leaf.set(p, whole, start + p);
            }
        }
        store(node, i, leaf);
        return leaf;
    }
}
