package vfio.mdev.internal;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import mdev.core.MdevDevice;
import samples.mtty.internal.MttyBenchAccess;
import vfio.core.FileTable;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioDeviceOps;
import vfio.core.VfioRegions;

/**
 * The cost vfio.mdev adds on the I/O path: a region read of an mtty register through an open
 * VFIO device file, against the same read made directly on the vendor's ops (the baseline).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RegionIoBench {
    static final long SCRATCH = VfioRegions.position(0, 7);

    VfioDeviceOps ops;
    VfioDeviceFile file;
    final ByteBuffer one = ByteBuffer.allocate(1);

    @Setup
    public void setUp() {
        ops = MttyBenchAccess.newSinglePortDevice();
        file = open(ops);
    }

    /** One device both threads of a benchmark read (its ops and an open file of it). */
    @State(Scope.Benchmark)
    public static class SharedDevice {
        VfioDeviceOps ops;
        VfioDeviceFile file;

        @Setup
        public void setUp() {
            ops = MttyBenchAccess.newSinglePortDevice();
            file = open(ops);
        }
    }

    static VfioDeviceFile open(VfioDeviceOps ops) {
        MdevDevice mdev = new MdevDevice() {
            final UUID uuid = UUID.randomUUID();

            public UUID uuid() { return uuid; }
            public String parent() { return "mtty"; }
            public String type() { return "mtty-1"; }
            public int classId() { return 1; }
            public void setClassId(int id) { }
            public Object deviceOps() { return ops; }
            public void setDeviceOps(Object o) { }
            public void setIommuDevice(String d) { }
            public Optional<String> iommuDevice() { return Optional.empty(); }
            public void acquire() { }
            public void release() { }
            public int openCount() { return 0; }
            public boolean isRemoved() { return false; }
        };
        return new VfioMdevDevice(mdev, ops).open(new FileTable());
    }

    @Benchmark
    public int baselineDirectOpsRead() {
        return ops.read(one.clear(), SCRATCH);
    }

    @Benchmark
    public int readThroughDeviceFile() {
        return file.read(one.clear(), SCRATCH);
    }

    /** Two threads, each on a device of its own: the vendor's reads called directly. */
    @Benchmark
    @Threads(2)
    public int baselineDirectOpsReadTwoDevices() {
        return ops.read(one.clear(), SCRATCH);
    }

    /** Two threads, each on a device of its own, through the device files: nothing shared between them. */
    @Benchmark
    @Threads(2)
    public int readThroughDeviceFileTwoDevices() {
        return file.read(one.clear(), SCRATCH);
    }

    /** Two threads on one device: the vendor's reads called directly (they meet in its lock). */
    @Benchmark
    @Threads(2)
    public int baselineDirectOpsReadOneDeviceTwoThreads(SharedDevice shared) {
        return shared.ops.read(one.clear(), SCRATCH);
    }

    /** Two threads on one device through one open file: the guard's stripes keep them apart. */
    @Benchmark
    @Threads(2)
    public int readThroughDeviceFileOneDeviceTwoThreads(SharedDevice shared) {
        return shared.file.read(one.clear(), SCRATCH);
    }
}
