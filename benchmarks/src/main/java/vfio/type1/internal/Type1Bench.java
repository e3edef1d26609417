package vfio.type1.internal;

import java.nio.ByteBuffer;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import vfio.core.Vfio;
import vfio.core.VmAddressSpace;

/**
 * DMA map and unmap with 1k and 100k live mappings, and IOVA translation per access (random
 * over all mappings, and sequential within one), each with a baseline in the same run: a put
 * and remove on a plain TreeMap of the same size, and a read straight from the VM's buffer.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class Type1Bench {
    static final long PAGE = 4096;
    static final long VADDR = 0x7f00_0000_0000L;

    @Param({ "1000", "100000" })
    int liveMappings;

    Type1Iommu iommu;
    ByteBuffer memory;
    long freeIova;
    long[] mappedIovas;
    int next;
    final ByteBuffer eight = ByteBuffer.allocate(8);
    final TreeMap<Long, Object> baselineTree = new TreeMap<>(Long::compareUnsigned);

    /** A 2 MiB mapping read at consecutive offsets, as a device walks a ring or buffer. */
    static final long RING_IOVA = 0x80_0000_0000L;
    static final long RING_SIZE = 2 << 20;
    long ringOffset;

    @Setup
    public void setUp() {
        VmAddressSpace vm = new VmAddressSpace("bench");
        memory = vm.allocate(VADDR, PAGE);
        vm.allocate(VADDR + (1L << 30), RING_SIZE);
        iommu = new Type1Iommu(Vfio.VFIO_TYPE1v2_IOMMU, vm, new PlatformModel(), liveMappings + 16, () -> { });
        mappedIovas = new long[liveMappings];
        // Every mapping shows the same VM page at its own IOVA, as aliases do.
        for (int i = 0; i < liveMappings; i++) {
            long iova = (i + 1) * PAGE * 2;
            iommu.map(iova, PAGE, VADDR, Vfio.VFIO_DMA_MAP_FLAG_READ | Vfio.VFIO_DMA_MAP_FLAG_WRITE);
            mappedIovas[i] = iova;
            baselineTree.put(iova, this);
        }
        iommu.map(RING_IOVA, RING_SIZE, VADDR + (1L << 30), Vfio.VFIO_DMA_MAP_FLAG_READ);
        freeIova = mappedIovas[liveMappings / 2] + PAGE;
        // Spread the translations over the tree rather than hitting one node.
        for (int i = mappedIovas.length - 1; i > 0; i--) {
            int j = (int) ((i * 2654435761L) % (i + 1));
            long t = mappedIovas[i];
            mappedIovas[i] = mappedIovas[j];
            mappedIovas[j] = t;
        }
    }

    @Benchmark
    public long baselineTreeMapPutRemove() {
        baselineTree.put(freeIova, this);
        return baselineTree.remove(freeIova) == null ? 0 : 1;
    }

    @Benchmark
    public long mapUnmap() {
        iommu.map(freeIova, PAGE, VADDR, Vfio.VFIO_DMA_MAP_FLAG_READ);
        return iommu.unmap(freeIova, PAGE);
    }

    @Benchmark
    public long baselineBufferRead() {
        return memory.getLong(next++ & 0xff);
    }

    @Benchmark
    public long translateSequential() {
        ringOffset = (ringOffset + 8) & (RING_SIZE - 1);
        iommu.read(RING_IOVA + ringOffset, eight.clear());
        return eight.getLong(0);
    }

    @Benchmark
    public long translateAndRead() {
        long iova = mappedIovas[next++ % mappedIovas.length];
        iommu.read(iova + 8, eight.clear());
        return eight.getLong(0);
    }
}
