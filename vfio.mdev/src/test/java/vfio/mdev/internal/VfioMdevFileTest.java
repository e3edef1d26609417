package vfio.mdev.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import vfio.core.FileTable;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDeviceOps;

class VfioMdevFileTest {
    /** Counts open references like the bus does. */
    static final class Mdev implements MdevDevice {
        final UUID uuid = UUID.randomUUID();
        final Object ops;
        int refs;

        Mdev(Object ops) {
            this.ops = ops;
        }

        public UUID uuid() { return uuid; }
        public String parent() { return "test"; }
        public String type() { return "test-1"; }
        public int classId() { return MdevClassId.VFIO; }
        public void setClassId(int id) { throw new ErrnoException(Errno.EBUSY, "set"); }
        public Object deviceOps() { return ops; }
        public void setDeviceOps(Object o) { throw new ErrnoException(Errno.EBUSY, "set"); }
        public synchronized void acquire() { refs++; }
        public synchronized void release() { refs--; }
        public synchronized int openCount() { return refs; }
        public boolean isRemoved() { return false; }
        public void setIommuDevice(String d) { throw new UnsupportedOperationException(); }
        public java.util.Optional<String> iommuDevice() { return java.util.Optional.empty(); }
    }

    /** Ops that count calls and allocate nothing. */
    static class CountingOps implements VfioDeviceOps {
        final AtomicInteger opens = new AtomicInteger();
        final AtomicInteger releases = new AtomicInteger();

        @Override
        public void open() {
            opens.incrementAndGet();
        }

        @Override
        public void release() {
            releases.incrementAndGet();
        }

        @Override
        public int read(ByteBuffer dst, long pos) {
            int n = dst.remaining();
            while (dst.hasRemaining()) {
                dst.put((byte) pos);
            }
            return n;
        }

        @Override
        public int write(ByteBuffer src, long pos) {
            int n = src.remaining();
            src.position(src.limit());
            return n;
        }
    }

    final CountingOps ops = new CountingOps();
    final Mdev mdev = new Mdev(ops);
    final VfioMdevDevice device = new VfioMdevDevice(mdev, ops);

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void openHoldsAReferenceUntilCloseAndCloseIsIdempotent() {
        VfioDeviceFile file = device.open(new FileTable());
        assertThat(mdev.openCount()).isEqualTo(1);
        assertThat(ops.opens).hasValue(1);
        file.close();
        file.close();
        assertThat(mdev.openCount()).isZero();
        assertThat(ops.releases).hasValue(1);
        assertErrno(Errno.EBADF, () -> file.read(ByteBuffer.allocate(1), 0));
    }

    @Test
    void aFailingVendorOpenTakesNoReference() {
        VfioMdevDevice noOpen = new VfioMdevDevice(mdev, new VfioDeviceOps() {
        });
        assertErrno(Errno.EINVAL, () -> noOpen.open(new FileTable()));
        assertThat(mdev.openCount()).isZero();
    }

    @Test
    void afterShutdownEveryCallAnswersEnodevAndEachOpenWasReleased() {
        VfioDeviceFile a = device.open(new FileTable());
        VfioDeviceFile b = device.open(new FileTable());
        device.shutdown();
        assertThat(ops.releases).hasValue(2);
        assertThat(mdev.openCount()).isZero();
        assertErrno(Errno.ENODEV, () -> a.read(ByteBuffer.allocate(1), 0));
        assertErrno(Errno.ENODEV, () -> b.write(ByteBuffer.allocate(1), 0));
        assertErrno(Errno.ENODEV, () -> a.ioctl(0, null));
        assertErrno(Errno.ENODEV, () -> device.open(new FileTable()));
        a.close();
        assertThat(ops.releases).as("no second release").hasValue(2);
    }

    @Test
    void shutdownWaitsForCallsInFlight() throws Exception {
        CountDownLatch inRead = new CountDownLatch(1);
        CountDownLatch finishRead = new CountDownLatch(1);
        VfioMdevDevice slow = new VfioMdevDevice(mdev, new CountingOps() {
            @Override
            public int read(ByteBuffer dst, long pos) {
                inRead.countDown();
                try {
                    finishRead.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return 0;
            }
        });
        VfioDeviceFile file = slow.open(new FileTable());
        Thread reader = new Thread(() -> file.read(ByteBuffer.allocate(1), 0));
        reader.start();
        assertThat(inRead.await(5, TimeUnit.SECONDS)).isTrue();
        Thread unbinder = new Thread(slow::shutdown);
        unbinder.start();
        unbinder.join(200);
        assertThat(unbinder.isAlive()).as("unbind waits for the read in flight").isTrue();
        finishRead.countDown();
        unbinder.join(5000);
        reader.join(5000);
        assertThat(unbinder.isAlive()).isFalse();
        assertErrno(Errno.ENODEV, () -> file.read(ByteBuffer.allocate(1), 0));
    }

    @Test
    void theDriverRefusesADeviceWhoseOpsAreNotVfioOps() {
        VfioMdevDriver driver = new VfioMdevDriver(null, null);
        assertErrno(Errno.EINVAL, () -> driver.bind(new Mdev(new Object())));
    }

    /**
     * The I/O path allocates nothing per call: the bytes this thread allocates over many
     * region reads and writes stay far below one object per call.
     */
    @Test
    void regionReadAndWriteAllocateNothingPerCall() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().getId();
        VfioDeviceFile file = device.open(new FileTable());
        ByteBuffer buffer = ByteBuffer.allocate(4);
        int calls = 200_000;
        for (int i = 0; i < calls; i++) {
            file.read(buffer.clear(), i);
            file.write(buffer.flip(), i);
        }
        long before = threads.getThreadAllocatedBytes(self);
        for (int i = 0; i < calls; i++) {
            file.read(buffer.clear(), i);
            file.write(buffer.flip(), i);
        }
        long allocated = threads.getThreadAllocatedBytes(self) - before;
        assertThat(allocated).as("bytes allocated by %d reads and writes", 2 * calls).isLessThan(calls / 10);
        file.close();
    }
}
