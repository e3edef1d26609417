package vfio.type1.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VfioDma;
import vfio.core.VmAddressSpace;

/**
 * Many threads on one type1 IOMMU: mappers map and unmap their own ranges while vendors read,
 * pin and unpin across all of them with an unmap listener that unpins. Every call either
 * succeeds or fails with the errno the state explains; at the end nothing is left.
 */
class Type1ConcurrencyTest {
    static final int MAPPERS = 4;
    static final int VENDORS = 2;
    static final int ROUNDS = 5_000;
    static final long PAGE = 4096;

    @Test
    void mappersAndVendorsAtOnce() throws Exception {
        VmAddressSpace vm = new VmAddressSpace("vm");
        vm.allocate(0x10_0000_0000L, MAPPERS * 16 * PAGE);
        PlatformModel model = new PlatformModel();
        Type1Iommu iommu = new Type1Iommu(VFIO_TYPE1v2_IOMMU, vm, model, () -> { });
        // A vendor keeps its pins under its own lock, taken both when it pins and when it is told
        // to unpin, so an unmap never sees a pin the vendor has not recorded yet.
        Set<Long> pinned = new java.util.HashSet<>();
        iommu.addUnmapListener((iova, size) -> {
            synchronized (pinned) {
                for (Long pfn : List.copyOf(pinned)) {
                    long at = pfn * PAGE;
                    if (at >= iova && at < iova + size) {
                        pinned.remove(pfn);
                        iommu.unpinPages(new long[] { pfn });
                    }
                }
            }
        });
        Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        AtomicLong reads = new AtomicLong();
        CyclicBarrier start = new CyclicBarrier(MAPPERS + VENDORS);
        List<Thread> threads = new ArrayList<>();
        for (int m = 0; m < MAPPERS; m++) {
            long iova = 0x100_0000L * (m + 1);
            long vaddr = 0x10_0000_0000L + m * 16 * PAGE;
            threads.add(new Thread(() -> {
                try {
                    start.await();
                    for (int r = 0; r < ROUNDS; r++) {
                        iommu.map(iova, 16 * PAGE, vaddr, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
                        long unmapped = iommu.unmap(iova, 16 * PAGE);
                        if (unmapped != 16 * PAGE) {
                            unexpected.add(new AssertionError("unmapped " + unmapped));
                        }
                    }
                } catch (Throwable t) {
                    unexpected.add(t);
                }
            }));
        }
        for (int v = 0; v < VENDORS; v++) {
            int seed = v;
            threads.add(new Thread(() -> {
                ByteBuffer eight = ByteBuffer.allocate(8);
                java.util.Random random = new java.util.Random(seed);
                try {
                    start.await();
                    for (int r = 0; r < ROUNDS * 4; r++) {
                        long iova = 0x100_0000L * (1 + random.nextInt(MAPPERS)) + PAGE * random.nextInt(16);
                        try {
                            if (random.nextBoolean()) {
                                iommu.read(iova, eight.clear());
                                reads.incrementAndGet();
                            } else {
                                long pfn = iova / PAGE;
                                synchronized (pinned) {
                                    iommu.pinPages(new long[] { pfn }, VfioDma.IOMMU_READ);
                                    if (!pinned.add(pfn)) {
                                        iommu.unpinPages(new long[] { pfn });
                                    }
                                }
                            }
                        } catch (ErrnoException e) {
                            if (e.errno() != Errno.EFAULT && e.errno() != Errno.EINVAL) {
                                unexpected.add(e);
                            }
                        }
                    }
                } catch (Throwable t) {
                    unexpected.add(t);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
            assertThat(t.isAlive()).as("no deadlock").isFalse();
        }
        assertThat(unexpected).isEmpty();
        assertThat(iommu.mappingCount()).isZero();
        assertThat(reads.get()).isPositive();
    }

    @Test
    void pasidsOfTwoVmsFromManyThreads() throws Exception {
        PlatformModel model = new PlatformModel();
        List<Type1Iommu> containers = new ArrayList<>();
        for (String name : List.of("a", "b")) {
            Type1Iommu iommu = new Type1Iommu(VFIO_TYPE1v2_IOMMU, new VmAddressSpace(name), model, () -> { });
            iommu.attachGroup(PasidTest.group(name.hashCode(), "0000:00:0" + name.length() + "." + name));
            containers.add(iommu);
        }
        Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Type1Iommu iommu = containers.get(t % 2);
            threads.add(new Thread(() -> {
                try {
                    for (int r = 0; r < 500; r++) {
                        int pasid = PasidTest.allocate(iommu, 1, 4000);
                        iommu.ioctl(VFIO_IOMMU_PASID_REQUEST, PasidTest.free(pasid));
                    }
                } catch (Throwable e) {
                    unexpected.add(e);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(unexpected).isEmpty();
        assertThat(model.pasids()).isEmpty();
    }
}
