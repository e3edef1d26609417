package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Hashtable;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevType;
import vfio.core.FileTable;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioRegions;

/** Issue 6: GVT-g GPUs configured through Configuration Admin, vGPUs through VFIO, hot-plug. */
class GvtIT extends BusTest {
    static final String GPU = "0000:00:02.0";
    static final long MB = 1 << 20;

    @InjectService
    ConfigurationAdmin configAdmin;

    Configuration gpu;

    @BeforeEach
    void configureGpu() throws Exception {
        gpu = configAdmin.getFactoryConfiguration("vendor.gvt.gpu", "itest", "?");
        gpu.update(new Hashtable<>(Map.of("parent", GPU, "generation", "SKL", "aperture.mb", 512, "hidden.mb", 3584)));
        Fixture.awaitParent(bus, GPU);
    }

    @AfterEach
    void deleteGpu() throws Exception {
        Fixture.reset(context);
        gpu.delete();
        Fixture.await("GPU gone", () -> !bus.parents().contains(GPU));
    }

    static int read32(VfioDeviceFile f, int region, long offset) {
        return ByteBuffer.wrap(f.readRegion(region, offset, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    @Test
    void typesAvailableInstancesAndAVgpuThroughVfio() {
        assertThat(bus.types(GPU)).extracting(MdevType::id, MdevType::availableInstances).containsExactly(
                org.assertj.core.groups.Tuple.tuple("i915-GVTg_V5_8", 6L),
                org.assertj.core.groups.Tuple.tuple("i915-GVTg_V5_4", 3L),
                org.assertj.core.groups.Tuple.tuple("i915-GVTg_V5_2", 1L));
        UUID uuid = UUID.randomUUID();
        bus.create(GPU, "i915-GVTg_V5_4", uuid);
        assertThat(bus.types(GPU)).extracting(MdevType::availableInstances).containsExactly(4L, 2L, 1L);
        try (VfioDeviceFile vgpu = Fixture.vfioDevice(context, uuid).open(new FileTable())) {
            assertThat(read32(vgpu, 7, 0)).isEqualTo(0x1912_8086);
            vgpu.writeRegion(7, 4, (byte) 0x02);                    // memory decoding on
            assertThat(ByteBuffer.wrap(vgpu.readRegion(0, 0x78000, 8)).order(ByteOrder.LITTLE_ENDIAN).getLong())
                    .isEqualTo(0x4776544776544776L);
            int apertureBase = read32(vgpu, 0, 0x78040);
            assertThat(vgpu.getRegionInfo(2).caps()).containsExactly(new vfio.core.VfioRegionInfo.SparseMmap(
                    java.util.List.of(new vfio.core.VfioRegionInfo.Area(apertureBase, 128 * MB))));
            ByteBuffer map = vgpu.mmap(VfioRegions.position(2, apertureBase), 4096);
            vgpu.writeRegion(2, apertureBase + 100, (byte) 0x5a);
            assertThat(map.get(100)).as("mmap sees the guest's write").isEqualTo((byte) 0x5a);
        }
    }

    @Test
    void stoppingVendorGvtUnderIoAnswersEnodevAndStartingRestoresTheTypes() throws Exception {
        Bundle gvt = Fixture.bundle(context, "vendor.gvt");
        UUID uuid = UUID.randomUUID();
        bus.create(GPU, "i915-GVTg_V5_8", uuid);
        VfioDeviceFile vgpu = Fixture.vfioDevice(context, uuid).open(new FileTable());
        vgpu.writeRegion(7, 4, (byte) 0x02);
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong reads = new AtomicLong();
        Queue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        Thread io = new Thread(() -> {
            while (!done.get()) {
                try {
                    read32(vgpu, 0, 0x78050);
                    reads.incrementAndGet();
                } catch (ErrnoException e) {
                    if (e.errno() != Errno.ENODEV) {
                        unexpected.add(e);
                    }
                    return;
                } catch (Throwable t) {
                    unexpected.add(t);
                    return;
                }
            }
        });
        io.start();
        Fixture.await("some reads", () -> reads.get() > 100);
        Fixture.stop(gvt);
        try {
            io.join(5000);
            assertThat(io.isAlive()).isFalse();
            assertThat(unexpected).isEmpty();
            assertThat(bus.parents()).doesNotContain(GPU);
            assertThatThrownBy(() -> read32(vgpu, 0, 0x78050)).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
        } finally {
            done.set(true);
            Fixture.start(gvt);
        }
        Fixture.awaitParent(bus, GPU);
        assertThat(bus.types(GPU)).extracting(MdevType::availableInstances).containsExactly(6L, 3L, 1L);
        assertThat(bus.devices()).isEmpty();
    }

    @Test
    void deletingTheConfigurationRemovesTheGpuAndItsVgpus() throws Exception {
        Configuration second = configAdmin.getFactoryConfiguration("vendor.gvt.gpu", "second", "?");
        second.update(new Hashtable<>(Map.of("parent", "0000:00:03.0", "generation", "BDW", "aperture.mb", 256,
                "hidden.mb", 1024, "fences", 16)));
        Fixture.awaitParent(bus, "0000:00:03.0");
        assertThat(bus.types("0000:00:03.0")).extracting(MdevType::id).containsExactly("i915-GVTg_V4_8", "i915-GVTg_V4_4");
        UUID uuid = UUID.randomUUID();
        bus.create("0000:00:03.0", "i915-GVTg_V4_8", uuid);
        second.delete();
        Fixture.await("second GPU gone", () -> !bus.parents().contains("0000:00:03.0"));
        assertThat(bus.device(uuid)).isEmpty();
    }
}
