package vfio.type1.internal;

import java.util.List;
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

import vfio.core.FileTable;
import vfio.core.Vfio;
import vfio.core.VfioDevice;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioIommuGroup;
import vfio.core.VmAddressSpace;

/**
 * PASID alloc+free pairs per second on one thread, on two threads of one VM and on two threads
 * each of its own VM (one system-wide space), against a baseline of a lock-protected counter
 * doing the same two steps.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class PasidBench {
    VfioMm vmm;
    PlatformModel model;
    final Object lock = new Object();
    long counter;

    @Setup
    public void setUp() {
        model = new PlatformModel();
        VmAddressSpace vm = new VmAddressSpace("bench");
        Type1Iommu iommu = new Type1Iommu(Vfio.VFIO_TYPE1_NESTING_IOMMU, vm, model, () -> { });
        VfioDevice device = new VfioDevice() {
            final UUID uuid = UUID.randomUUID();

            public UUID uuid() { return uuid; }
            public String name() { return uuid.toString(); }
            public Optional<String> iommuDevice() { return Optional.of("0000:00:02.0"); }
            public VfioDeviceFile open(FileTable files) { throw new UnsupportedOperationException(); }
            public VfioDeviceFile open(FileTable f, VfioDeviceContext c, Runnable r) { throw new UnsupportedOperationException(); }
        };
        iommu.attachGroup(new VfioIommuGroup() {
            public int id() { return 1; }
            public List<VfioDevice> devices() { return List.of(device); }
        });
        vmm = model.mms.get(vm);
    }

    private void pair() {
        vmm.free(vmm.alloc(1, IoasidAllocator.PASID_MAX));
    }

    @Benchmark
    @Threads(1)
    public void allocFreeOneThread() {
        pair();
    }

    @Benchmark
    @Threads(2)
    public void allocFreeTwoThreads() {
        pair();
    }

    /** A VM of the calling thread's own in the benchmark's system-wide space. */
    @State(Scope.Thread)
    public static class OwnVm {
        VfioMm vmm;

        @Setup
        public void setUp(PasidBench bench) {
            vmm = new VfioMm(new VmAddressSpace("bench-" + Thread.currentThread().getName()), bench.model.allocator);
        }
    }

    @Benchmark
    @Threads(2)
    public void allocFreeTwoThreadsTwoVms(OwnVm own) {
        own.vmm.free(own.vmm.alloc(1, IoasidAllocator.PASID_MAX));
    }

    @Benchmark
    @Threads(1)
    public long baselineLockedCounterOneThread() {
        synchronized (lock) {
            counter++;
        }
        synchronized (lock) {
            return --counter;
        }
    }
}
