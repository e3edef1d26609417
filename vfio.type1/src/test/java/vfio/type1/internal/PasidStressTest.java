package vfio.type1.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/**
 * PASID quota, ownership and reclaim stay exact while threads of two VMs allocate and free at
 * once (the per-thread stripes and caches of {@link VfioMm}): millions of operations, then the
 * books are checked against what each thread holds.
 */
class PasidStressTest {
    private static final int THREADS_PER_VM = 2;
    private final IoasidAllocator allocator = new IoasidAllocator();
    private final VfioMm a = new VfioMm(new VmAddressSpace("a"), allocator);
    private final VfioMm b = new VfioMm(new VmAddressSpace("b"), allocator);
    private final ExecutorService pool = Executors.newFixedThreadPool(2 * THREADS_PER_VM);

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private <T> List<T> onAllThreads(java.util.function.BiFunction<VfioMm, Integer, Callable<T>> work) throws Exception {
        List<Future<T>> futures = new ArrayList<>();
        for (int t = 0; t < 2 * THREADS_PER_VM; t++) {
            futures.add(pool.submit(work.apply(t % 2 == 0 ? a : b, t)));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> future : futures) {
            results.add(future.get());
        }
        return results;
    }

    private static int errno(Runnable call) {
        try {
            call.run();
            return 0;
        } catch (ErrnoException e) {
            return e.errno().number();
        }
    }

    @Test
    void threadsFillingTheQuotaAtOnceGetExactlyTheQuotaEveryRound() throws Exception {
        a.setQuota(300);
        b.setQuota(200);
        CyclicBarrier round = new CyclicBarrier(2 * THREADS_PER_VM);
        List<long[]> totals = onAllThreads((vm, t) -> () -> {
            long[] got = new long[400];
            for (int r = 0; r < got.length; r++) {
                round.await();
                List<Integer> mine = new ArrayList<>();
                while (true) {
                    try {
                        mine.add(vm.alloc(1, IoasidAllocator.PASID_MAX));
                    } catch (ErrnoException full) {
                        assertThat(full.errno()).isEqualTo(Errno.ENOSPC);
                        break;
                    }
                }
                got[r] = mine.size();
                round.await();   // everyone is full: the books must say so
                if (t < 2) {
                    assertThat(vm.usage()[0]).isEqualTo(vm == a ? 300 : 200);
                }
                round.await();
                for (int pasid : mine) {
                    vm.free(pasid);
                }
            }
            return got;
        });
        for (int r = 0; r < 400; r++) {
            assertThat(totals.get(0)[r] + totals.get(2)[r]).as("VM a's threads in round %d", r).isEqualTo(300);
            assertThat(totals.get(1)[r] + totals.get(3)[r]).as("VM b's threads in round %d", r).isEqualTo(200);
        }
        assertThat(a.usage()).containsExactly(0, 300);
        assertThat(b.usage()).containsExactly(0, 200);
    }

    @Test
    void millionsOfMixedOperationsKeepOwnershipAndCountsExact() throws Exception {
        a.setQuota(64);
        b.setQuota(1000);
        List<Set<Integer>> held = onAllThreads((vm, t) -> () -> {
            SplittableRandom random = new SplittableRandom(t);
            Set<Integer> mine = new HashSet<>();
            List<Integer> list = new ArrayList<>();
            VfioMm other = vm == a ? b : a;
            for (int i = 0; i < 750_000; i++) {
                int op = random.nextInt(16);
                if (op < 7) {
                    int min = random.nextInt(4) == 0 ? 1 + random.nextInt(5000) : 1;
                    int max = random.nextInt(4) == 0 ? min + random.nextInt(64) : IoasidAllocator.PASID_MAX;
                    try {
                        int pasid = vm.alloc(min, max);
                        assertThat(pasid).isBetween(min, max);
                        assertThat(mine.add(pasid)).as("PASID %d handed out twice", pasid).isTrue();
                        list.add(pasid);
                    } catch (ErrnoException refused) {
                        assertThat(refused.errno()).isEqualTo(Errno.ENOSPC);
                    }
                } else if (op < 14 && !list.isEmpty()) {
                    int pasid = list.remove(random.nextInt(list.size()));
                    mine.remove(pasid);
                    vm.free(pasid);
                } else if (op == 14 && !list.isEmpty()) {
                    int pasid = list.get(random.nextInt(list.size()));
                    assertThat(vm.owns(pasid)).isTrue();
                    assertThat(errno(() -> other.free(pasid))).as("another VM freeing %d", pasid)
                            .isEqualTo(Errno.EACCES.number());
                } else {
                    assertThat(vm.usage()[0]).isBetween(0, vm == a ? 64 : 1000);
                }
            }
            return mine;
        });
        Set<Integer> all = new HashSet<>();
        for (int t = 0; t < held.size(); t++) {
            VfioMm vm = t % 2 == 0 ? a : b;
            for (int pasid : held.get(t)) {
                assertThat(vm.owns(pasid)).isTrue();
                assertThat(all.add(pasid)).as("PASID %d held by two threads", pasid).isTrue();
            }
        }
        assertThat(a.usage()[0]).isEqualTo(held.get(0).size() + held.get(2).size());
        assertThat(b.usage()[0]).isEqualTo(held.get(1).size() + held.get(3).size());
        assertThat(allocator.snapshot()).hasSize(all.size());
        assertThat(new HashSet<>(a.reclaim())).isEqualTo(union(held.get(0), held.get(2)));
        assertThat(new HashSet<>(b.reclaim())).isEqualTo(union(held.get(1), held.get(3)));
        assertThat(allocator.snapshot()).isEmpty();
        VfioMm fresh = new VfioMm(new VmAddressSpace("c"), allocator);
        assertThat(fresh.alloc(1, IoasidAllocator.PASID_MAX)).as("reclaim left the space empty").isEqualTo(1);
    }

    private static Set<Integer> union(Set<Integer> x, Set<Integer> y) {
        Set<Integer> both = new HashSet<>(x);
        both.addAll(y);
        return both;
    }

    @Test
    void aFullRangeFindsTheIdsOtherVmsKeepForReuse() {
        a.setQuota(10);
        int[] got = new int[10];
        for (int i = 0; i < 10; i++) {
            got[i] = a.alloc(1, 10);
        }
        for (int pasid : got) {
            a.free(pasid);   // kept in a's cache
        }
        assertThat(b.alloc(1, 10)).as("the lowest, given back by a's cache").isEqualTo(1);
        assertThat(errno(() -> a.free(1))).isEqualTo(Errno.EACCES.number());
        assertThat(errno(() -> a.free(2))).as("free, not a's any more").isEqualTo(Errno.ENOENT.number());
    }
}
