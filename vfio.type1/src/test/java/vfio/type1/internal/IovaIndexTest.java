package vfio.type1.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class IovaIndexTest {
    private static int backings;

    /** A mapping into a backing of its own, 64 pages in, read-write or (every third) read-only. */
    private static DmaMapping dma(long iova, long size) {
        int backing = ++backings & 0xfffff;
        return new DmaMapping(iova, size, 0x7f00_0000_0000L, backing % 3 == 0 ? 1 : 3, null, backing, 64 << 12);
    }

    @Test
    void findsTheMappingOfEveryPageAndNothingOutside() {
        IovaIndex index = new IovaIndex();
        DmaMapping small = dma(0x1000, 0x3000);
        DmaMapping huge = dma(0x4000_0000L, 0x4000_0000L);           // 1 GiB, aligned: one entry high up
        DmaMapping odd = dma(0xbfff_f000L, 0x3000);                  // crosses a 2 MiB and a 1 GiB line
        DmaMapping top = dma(0xffff_ffff_ffff_e000L, 0x2000);        // the last pages of the 64-bit space
        for (DmaMapping d : List.of(small, huge, odd, top)) {
            index.put(d);
        }
        assertThat(index.find(0x0fff)).isNull();
        assertThat(index.find(0x1000)).isSameAs(small);
        assertThat(index.find(0x3fff)).isSameAs(small);
        assertThat(index.find(0x4000)).isNull();
        assertThat(index.find(0x4000_0000L)).isSameAs(huge);
        assertThat(index.find(0x7fff_ffffL)).isSameAs(huge);
        assertThat(index.find(0x8000_0000L)).isNull();
        assertThat(index.find(0xbfff_f000L)).isSameAs(odd);
        assertThat(index.find(0xc000_1fffL)).isSameAs(odd);
        assertThat(index.find(0xc000_2000L)).isNull();
        assertThat(index.find(0xffff_ffff_ffff_ffffL)).isSameAs(top);
        index.remove(huge);
        assertThat(index.find(0x5000_0000L)).isNull();
        assertThat(index.find(0xbfff_f000L)).isSameAs(odd);
        index.remove(odd);
        index.remove(small);
        index.remove(top);
        assertThat(index.find(0x1000)).isNull();
    }

    @Test
    void agreesWithATreeOverManyRandomMappings() {
        Random random = new Random(22);
        IovaIndex index = new IovaIndex();
        TreeMap<Long, DmaMapping> tree = new TreeMap<>(Long::compareUnsigned);
        List<DmaMapping> live = new ArrayList<>();
        for (int round = 0; round < 20_000; round++) {
            if (live.isEmpty() || random.nextInt(3) != 0) {
                long iova = (random.nextLong() & 0x0000_ffff_ffff_f000L);
                long size = (1 + random.nextInt(random.nextBoolean() ? 4 : 3000)) * 0x1000L;
                var floor = tree.floorEntry(iova + size - 1);
                if (floor != null && Long.compareUnsigned(floor.getValue().last(), iova) >= 0) {
                    continue;   // overlaps: type1 refuses it before the index sees it
                }
                DmaMapping d = dma(iova, size);
                tree.put(iova, d);
                index.put(d);
                live.add(d);
            } else {
                DmaMapping d = live.remove(random.nextInt(live.size()));
                tree.remove(d.iova);
                index.remove(d);
            }
            long probe = random.nextBoolean() && !live.isEmpty()
                    ? live.get(random.nextInt(live.size())).iova + random.nextInt(0x1000)
                    : random.nextLong() & 0x0000_ffff_ffff_ffffL;
            var floor = tree.floorEntry(probe);
            DmaMapping expected = floor != null && floor.getValue().contains(probe) ? floor.getValue() : null;
            assertThat(index.find(probe)).isSameAs(expected);
            long pte = index.pte(probe);
            if (pte != 0) {
                // a page table entry: the mapping's backing, protection and the page's offset in it
                assertThat(expected).isNotNull();
                assertThat(pte >>> IovaIndex.PTE_BACKING_SHIFT).isEqualTo(expected.backingIndex);
                assertThat(pte & IovaIndex.PTE_PROT_MASK).isEqualTo(expected.prot);
                assertThat(pte & IovaIndex.PTE_OFFSET_MASK)
                        .isEqualTo(expected.backingOffset + (probe & ~0xfffL) - expected.iova);
            } else if (expected != null) {
                assertThat(expected.size).as("only a mapping held from above the last level has no entry")
                        .isGreaterThanOrEqualTo(512 * 0x1000L);
            }
        }
    }
}
