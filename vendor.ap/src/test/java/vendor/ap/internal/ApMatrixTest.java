package vendor.ap.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.BitSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** vfio_ap_ops.c's attribute rules: ranges, reservation, sharing, guests, text formats. */
class ApMatrixTest {
    /**
     * No APXA (ids 0..63 and 0..15); adapters 3, 4, 5 and domains 1, 2, 6 installed; apmask 5
     * and aqmask 1, 2, 6 leave every queue of adapter 5 to the host.
     */
    static ApConfig config() {
        return new ApConfig(false, 0, 0, bits(3, 4, 5), bits(1, 2, 6), bits(5), bits(1, 2, 6));
    }

    @Test
    void aQueueIsTheHostsOnlyWhenBothMasksHaveIt() {
        ApConfig c = new ApConfig(false, 0, 0, bits(3, 4), bits(1, 2), bits(3), bits(1));
        assertThat(c.reserved(3, 1)).as("03.0001: both masks").isFalse();
        assertThat(c.reserved(3, 2)).isTrue();
        assertThat(c.reserved(4, 1)).isTrue();
        assertThat(c.reserved(5, 1)).as("not installed").isFalse();
    }

    static BitSet bits(int... ids) {
        BitSet b = new BitSet();
        for (int id : ids) {
            b.set(id);
        }
        return b;
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    final ApMatrix matrix = new ApMatrix(config());
    final MatrixMdev a = matrix.create(UUID.randomUUID());
    final MatrixMdev b = matrix.create(UUID.randomUUID());

    @Test
    void kstrtoulAsTheKernelParses() {
        assertThat(Kstrtoul.parse("4\n")).isEqualTo(4);
        assertThat(Kstrtoul.parse("0x1f")).isEqualTo(31);
        assertThat(Kstrtoul.parse("017")).isEqualTo(15);
        assertThat(Kstrtoul.parse("+7")).isEqualTo(7);
        assertThat(Kstrtoul.parse("0")).isZero();
        assertThat(Kstrtoul.parse("18446744073709551615")).isEqualTo(-1L);
        for (String bad : new String[] { "", "\n", " 4", "4 ", "4\n\n", "-1", "08", "0x", "0xg", "1a", "++1", "٣" }) {
            assertErrno(Errno.EINVAL, () -> Kstrtoul.parse(bad));
        }
        assertErrno(Errno.ERANGE, () -> Kstrtoul.parse("18446744073709551616"));
        assertErrno(Errno.ERANGE, () -> Kstrtoul.parse("0x10000000000000000"));
    }

    @Test
    void idsPastTheMaximumAreEnodevAndUnreservedQueuesEaddrnotavail() {
        assertErrno(Errno.ENODEV, () -> matrix.assignAdapter(a, "64"));
        assertErrno(Errno.ENODEV, () -> matrix.assignDomain(a, "16"));
        assertErrno(Errno.ENODEV, () -> matrix.assignControlDomain(a, "0x10"));
        assertErrno(Errno.ENODEV, () -> matrix.unassignAdapter(a, "18446744073709551615"));
        assertErrno(Errno.EINVAL, () -> matrix.assignAdapter(a, "four"));
        assertErrno(Errno.EADDRNOTAVAIL, () -> matrix.assignAdapter(a, "5"));     // the host's
        assertErrno(Errno.EADDRNOTAVAIL, () -> matrix.assignAdapter(a, "7"));     // not installed
        assertErrno(Errno.EADDRNOTAVAIL, () -> matrix.assignDomain(a, "7"));     // not installed
        matrix.assignAdapter(a, "3");
        matrix.assignDomain(a, "1");
        assertErrno(Errno.EADDRNOTAVAIL, () -> matrix.assignAdapter(a, "5"));
        matrix.assignControlDomain(a, "9");         // control domains need no reservation
        assertThat(matrix.matrix(a)).isEqualTo("03.0001\n");
        assertThat(matrix.controlDomains(a)).isEqualTo("0009\n");
    }

    @Test
    void anApqnInAnotherMdevIsEaddrinuseAndNothingChanges() {
        matrix.assignAdapter(a, "3");
        matrix.assignDomain(a, "1");
        matrix.assignDomain(b, "1");
        assertErrno(Errno.EADDRINUSE, () -> matrix.assignAdapter(b, "3"));
        assertThat(matrix.matrix(b)).isEqualTo(".0001\n");
        matrix.assignAdapter(b, "4");               // 04.0001 is free
        assertErrno(Errno.EADDRINUSE, () -> matrix.assignAdapter(a, "4"));
        matrix.assignDomain(a, "2");
        matrix.assignDomain(b, "2");                // 04.0002: b's adapter is 04, a's is 03
        assertThat(matrix.matrix(b)).isEqualTo("04.0001\n04.0002\n");
        matrix.assignAdapter(b, "4");               // again: a no-op, still no conflict
        assertErrno(Errno.EADDRINUSE, () -> matrix.assignAdapter(b, "3"));
        assertThat(matrix.matrix(a)).isEqualTo("03.0001\n03.0002\n");
    }

    @Test
    void matrixTextForBothOneOrNoSide() {
        assertThat(matrix.matrix(a)).isEmpty();
        matrix.assignAdapter(a, "0x4");
        matrix.assignAdapter(a, "3");
        assertThat(matrix.matrix(a)).isEqualTo("03.\n04.\n");
        matrix.assignDomain(a, "2");
        matrix.assignDomain(a, "01");
        assertThat(matrix.matrix(a)).isEqualTo("03.0001\n03.0002\n04.0001\n04.0002\n");
        matrix.unassignAdapter(a, "3\n");
        matrix.unassignAdapter(a, "4");
        assertThat(matrix.matrix(a)).isEqualTo(".0001\n.0002\n");
    }

    @Test
    void aGuestFixesTheMatrixServesOneMdevAndReleaseResetsTheQueues() {
        matrix.assignAdapter(a, "3");
        matrix.assignDomain(a, "1");
        matrix.assignDomain(a, "2");
        Object guest = new Object();
        assertErrno(Errno.EINVAL, () -> matrix.attachGuest(a, null));
        matrix.attachGuest(a, guest);
        assertErrno(Errno.EPERM, () -> matrix.attachGuest(b, guest));
        assertErrno(Errno.EBUSY, () -> matrix.assignAdapter(a, "4"));
        assertErrno(Errno.EBUSY, () -> matrix.unassignDomain(a, "1"));
        assertErrno(Errno.EBUSY, () -> matrix.assignControlDomain(a, "1"));
        assertErrno(Errno.EBUSY, () -> matrix.remove(a));
        matrix.detachGuest(a);
        assertThat(matrix.resets(3, 1)).isEqualTo(1);
        assertThat(matrix.resets(3, 2)).isEqualTo(1);
        assertThat(matrix.resets(4, 1)).isZero();
        matrix.attachGuest(b, guest);
        matrix.remove(a);
        assertThat(matrix.availableInstances()).isEqualTo(ApMatrix.MAX_INSTANCES - 1);
    }

    @Test
    void instancesRunOutWithEperm() {
        for (int i = 2; i < ApMatrix.MAX_INSTANCES; i++) {
            matrix.create(UUID.randomUUID());
        }
        assertThat(matrix.availableInstances()).isZero();
        assertErrno(Errno.EPERM, () -> matrix.create(UUID.randomUUID()));
    }

    @Test
    void apxaWidensTheIds() {
        ApMatrix wide = new ApMatrix(new ApConfig(true, 255, 84, bits(200), bits(80), bits(), bits()));
        MatrixMdev m = wide.create(UUID.randomUUID());
        wide.assignAdapter(m, "200");
        wide.assignDomain(m, "80");
        assertErrno(Errno.ENODEV, () -> wide.assignDomain(m, "85"));
        assertThat(wide.matrix(m)).isEqualTo("c8.0050\n");
    }

    @Test
    void concurrentAssignsNeverGiveOneApqnToTwoMdevs() throws Exception {
        matrix.assignDomain(a, "1");
        matrix.assignDomain(b, "1");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 500; round++) {
                CountDownLatch go = new CountDownLatch(1);
                Future<Boolean> first = pool.submit(() -> assign(go, a));
                Future<Boolean> second = pool.submit(() -> assign(go, b));
                go.countDown();
                boolean wonA = first.get(5, TimeUnit.SECONDS);
                boolean wonB = second.get(5, TimeUnit.SECONDS);
                assertThat(wonA ^ wonB).as("exactly one gets 03.0001 in round " + round).isTrue();
                matrix.unassignAdapter(a, "3");
                matrix.unassignAdapter(b, "3");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private boolean assign(CountDownLatch go, MatrixMdev m) throws InterruptedException {
        go.await();
        try {
            matrix.assignAdapter(m, "3");
            return true;
        } catch (ErrnoException e) {
            assertThat(e.errno()).isEqualTo(Errno.EADDRINUSE);
            return false;
        }
    }

    @Test
    void maskTextAsTheApBusReadsAndWritesIt() {
        assertThat(ApMask.show(bits(0, 5, 255))).isEqualTo("0x84" + "0".repeat(61) + "1\n");
        assertThat(ApMask.parse("0x84\n", bits())).isEqualTo(bits(0, 5));
        assertThat(ApMask.parse("x4", bits())).isEqualTo(bits(1));
        assertThat(ApMask.parse("+3,-0,+8-10\n", bits(0, 1))).isEqualTo(bits(1, 3, 8, 9, 10));
        assertThat(ApMask.parse("+0x10", bits())).isEqualTo(bits(16));
        for (String bad : new String[] { "0xg", "+", "+256", "+5-3", "+1;+2", "0x" + "f".repeat(65), "-x" }) {
            assertErrno(Errno.EINVAL, () -> ApMask.parse(bad, bits()));
        }
    }

    @Test
    void theHostTakesBackOnlyQueuesNoMdevHolds() {
        matrix.assignAdapter(a, "3");
        matrix.assignDomain(a, "2");
        ApConfig before = matrix.config();
        // apmask +3 would give the host 03.0001, 03.0002, 03.0006 (aqmask 1, 2, 6): a holds 03.0002
        BitSet apmask = bits(3, 5);
        assertErrno(Errno.EBUSY, () -> matrix.setMasks(apmask, before.aqmask()));
        assertThat(matrix.config().apmask()).isEqualTo(bits(5));
        // with aqmask 1 only, 03.0002 stays with vfio_ap: allowed
        matrix.setMasks(before.apmask(), bits(1));
        matrix.setMasks(apmask, bits(1));
        assertThat(matrix.config().reserved(3, 1)).isFalse();
        assertErrno(Errno.EBUSY, () -> matrix.setMasks(apmask, bits(1, 2)));
        matrix.unassignAdapter(a, "3");
        matrix.setMasks(apmask, bits(1, 2));
        assertErrno(Errno.EADDRNOTAVAIL, () -> matrix.assignAdapter(a, "3"));
    }
}
