package vendor.gvt.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevDevice;
import mdev.core.MdevTypeSpec;
import vendor.gvt.GvtGpu;
import vfio.core.Vfio;
import vfio.core.VfioRegions;

class GvtGpuTest {
    static final long MB = 1 << 20;

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    /** Just enough of an MdevDevice for the parent's create. */
    static final class Slot implements MdevDevice {
        final UUID uuid = UUID.randomUUID();
        Object ops;

        public UUID uuid() { return uuid; }
        public String parent() { return "gpu"; }
        public String type() { return "t"; }
        public int classId() { return 1; }
        public void setClassId(int id) { }
        public Object deviceOps() { return ops; }
        public void setDeviceOps(Object o) { ops = o; }
        public void setIommuDevice(String d) { }
        public Optional<String> iommuDevice() { return Optional.empty(); }
        public void acquire() { }
        public void release() { }
        public int openCount() { return 0; }
        public boolean isRemoved() { return false; }
    }

    static MdevTypeSpec type(GvtGpuComponent gpu, String name) {
        return gpu.supportedTypes().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void sklTypesAndTheirArithmetic() {
        GvtGpuComponent gpu = new GvtGpuComponent("0000:00:02.0", "SKL", 512, 3584, 32, 0x1912);
        assertThat(gpu.supportedTypes()).extracting(MdevTypeSpec::name)
                .containsExactly("GVTg_V5_8", "GVTg_V5_4", "GVTg_V5_2");
        // low: (512 - 128) MB; high: (3584 - 384) MB; fences: 32 - 4
        assertThat(gpu.availableInstances(type(gpu, "GVTg_V5_8"))).isEqualTo(6);   // min(384/64, 3200/384, 28/4)
        assertThat(gpu.availableInstances(type(gpu, "GVTg_V5_4"))).isEqualTo(3);   // min(384/128, 3200/512, 7)
        assertThat(gpu.availableInstances(type(gpu, "GVTg_V5_2"))).isEqualTo(1);   // min(384/256, 3200/1024, 7)
        assertThat(type(gpu, "GVTg_V5_4").description())
                .isEqualTo("low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4\n");
        assertThat(type(gpu, "GVTg_V5_8").deviceApi()).isEqualTo("vfio-pci");
    }

    @Test
    void bdwWithASmallApertureOffersFewerTypes() {
        GvtGpuComponent gpu = new GvtGpuComponent("0000:00:02.0", "BDW", 256, 1024, 16, 0x1616);
        assertThat(gpu.supportedTypes()).extracting(MdevTypeSpec::name).containsExactly("GVTg_V4_8", "GVTg_V4_4");
        // high: 640 MB -> one 384 MB or one 512 MB; fences: 12 -> 3
        assertThat(gpu.availableInstances(type(gpu, "GVTg_V4_8"))).isEqualTo(1);
        assertThat(gpu.availableInstances(type(gpu, "GVTg_V4_4"))).isEqualTo(1);
    }

    @Test
    void fencesCanBeTheLimit() {
        GvtGpuComponent gpu = new GvtGpuComponent("g", "SKL", 512, 3584, 12, 0x1912);
        assertThat(gpu.availableInstances(type(gpu, "GVTg_V5_8"))).isEqualTo(2);
    }

    @Test
    void createToExhaustionRemoveOneAndCreateAgain() {
        GvtGpuComponent gpu = new GvtGpuComponent("g", "SKL", 512, 3584, 32, 0x1912);
        MdevTypeSpec eight = type(gpu, "GVTg_V5_8");
        List<Slot> made = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Slot s = new Slot();
            gpu.create(eight, s);
            made.add(s);
        }
        assertThat(gpu.availableInstances(eight)).isZero();
        assertThat(gpu.availableInstances(type(gpu, "GVTg_V5_4"))).isZero();
        assertErrno(Errno.ENOSPC, () -> gpu.create(eight, new Slot()));
        assertThat(gpu.pools()).extracting(GvtGpu.Pool::used).containsExactly(384 * MB, 6 * 384 * MB, 24L);
        gpu.remove(made.get(0));
        assertThat(gpu.availableInstances(eight)).isEqualTo(1);
        gpu.create(eight, new Slot());
        assertThat(gpu.vgpus()).hasSize(6);
        assertThat(gpu.vgpus()).extracting(GvtGpu.VgpuSlice::id).doesNotHaveDuplicates();
    }

    @Test
    void freedGmMergesAndAFragmentedPoolAnswersEnospcKeepingNothing() {
        GvtGpuComponent gpu = new GvtGpuComponent("g", "SKL", 512, 3584, 32, 0x1912);
        MdevTypeSpec eight = type(gpu, "GVTg_V5_8");
        MdevTypeSpec four = type(gpu, "GVTg_V5_4");
        List<Slot> made = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Slot s = new Slot();
            gpu.create(eight, s);
            made.add(s);
        }
        gpu.remove(made.get(1));
        gpu.remove(made.get(3));
        assertThat(gpu.availableInstances(four)).as("128 MB free in all").isEqualTo(1);
        List<GvtGpu.Pool> before = gpu.pools();
        assertErrno(Errno.ENOSPC, () -> gpu.create(four, new Slot()));
        assertThat(gpu.pools()).as("nothing kept").isEqualTo(before);
        gpu.remove(made.get(2));
        gpu.create(four, new Slot());
    }

    @Test
    void concurrentCreatesNeverOversubscribe() throws Exception {
        GvtGpuComponent gpu = new GvtGpuComponent("g", "SKL", 512, 3584, 32, 0x1912);
        MdevTypeSpec eight = type(gpu, "GVTg_V5_8");
        java.util.concurrent.atomic.AtomicInteger ok = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            threads.add(new Thread(() -> {
                for (int j = 0; j < 4; j++) {
                    try {
                        gpu.create(eight, new Slot());
                        ok.incrementAndGet();
                    } catch (ErrnoException e) {
                        assertThat(e.errno()).isEqualTo(Errno.ENOSPC);
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        assertThat(ok.get()).isEqualTo(6);
        assertThat(gpu.pools().get(0).free()).isZero();
    }

    static int read32(VgpuDevice d, int region, long offset) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        d.read(b, VfioRegions.position(region, offset));
        return b.getInt(0);
    }

    static void write32(VgpuDevice d, int region, long offset, int value) {
        d.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value), VfioRegions.position(region, offset));
    }

    @Test
    void configSpacePvinfoAndTheAperture() {
        GvtGpuComponent gpu = new GvtGpuComponent("g", "SKL", 512, 3584, 32, 0x1912);
        Slot slot = new Slot();
        gpu.create(type(gpu, "GVTg_V5_4"), slot);
        VgpuDevice vgpu = (VgpuDevice) slot.ops;
        assertThat(read32(vgpu, Vfio.VFIO_PCI_CONFIG_REGION_INDEX, 0)).isEqualTo(0x1912_8086);
        assertThat(read32(vgpu, Vfio.VFIO_PCI_CONFIG_REGION_INDEX, 8) >>> 24).as("display class").isEqualTo(3);
        // BAR sizing of the 64-bit BARs
        write32(vgpu, 7, 0x10, -1);
        write32(vgpu, 7, 0x14, -1);
        assertThat(read32(vgpu, 7, 0x10)).isEqualTo(0xff00_0004);
        assertThat(read32(vgpu, 7, 0x14)).isEqualTo(-1);
        write32(vgpu, 7, 0x18, -1);
        assertThat(read32(vgpu, 7, 0x18)).isEqualTo(0xe000_000c);
        // memory decoding off: MMIO reads all ones
        assertThat(read32(vgpu, 0, VgpuDevice.VGT_PVINFO_PAGE)).isEqualTo(-1);
        write32(vgpu, 7, 0x04, VgpuDevice.PCI_COMMAND_MEMORY);
        ByteBuffer magic = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        vgpu.read(magic, VfioRegions.position(0, VgpuDevice.VGT_PVINFO_PAGE));
        assertThat(magic.getLong(0)).isEqualTo(VgpuDevice.VGT_MAGIC);
        int pv = VgpuDevice.VGT_PVINFO_PAGE;
        assertThat(read32(vgpu, 0, pv + 0x8)).as("version 1.0").isEqualTo(1);
        assertThat(read32(vgpu, 0, pv + 0xc)).as("vgt_id").isEqualTo(1);
        assertThat(read32(vgpu, 0, pv + 0x40)).as("aperture base").isEqualTo((int) (128 * MB));
        assertThat(read32(vgpu, 0, pv + 0x44)).as("aperture size").isEqualTo((int) (128 * MB));
        assertThat(read32(vgpu, 0, pv + 0x48)).as("hidden base").isEqualTo((int) ((512 + 384) * MB));
        assertThat(read32(vgpu, 0, pv + 0x4c)).as("hidden size").isEqualTo((int) (512 * MB));
        assertThat(read32(vgpu, 0, pv + 0x50)).as("fences").isEqualTo(4);
        write32(vgpu, 0, pv + 0x804, 1);
        assertThat(read32(vgpu, 0, pv + 0x804)).as("display_ready lands").isEqualTo(1);
        write32(vgpu, 0, pv + 0x40, 0);
        assertThat(read32(vgpu, 0, pv + 0x40)).as("the host's half is read-only").isEqualTo((int) (128 * MB));
        write32(vgpu, 0, 0x2030, 0xabcd);
        assertThat(read32(vgpu, 0, 0x2030)).isEqualTo(0xabcd);
        assertErrno(Errno.EINVAL, () -> vgpu.read(ByteBuffer.allocate(2), VfioRegions.position(0, 0x2030)));
        // the aperture: the vGPU's slice only, and mmap shares it
        ByteBuffer map = vgpu.mmap(VfioRegions.position(2, 128 * MB), 4096);
        write32(vgpu, 2, 128 * MB + 16, 0x1234_5678);
        assertThat(map.order(ByteOrder.LITTLE_ENDIAN).getInt(16)).isEqualTo(0x1234_5678);
        assertErrno(Errno.EINVAL, () -> read32(vgpu, 2, 0));
        assertErrno(Errno.EINVAL, () -> vgpu.mmap(VfioRegions.position(2, 0), 4096));
        assertErrno(Errno.EINVAL, () -> vgpu.mmap(VfioRegions.position(0, 0), 4096));
        assertThat(vgpu.getRegionInfo(2).size()).isEqualTo(512 * MB);
        assertThat(vgpu.getRegionInfo(2).flags() & Vfio.VFIO_REGION_INFO_FLAG_MMAP).isNotZero();
        // reset clears the aperture, mapped memory included (it threw on the file-backed aperture)
        vgpu.reset();
        assertThat(map.getInt(16)).as("the mapping sees the cleared slice").isZero();
        gpu.remove(slot);
        assertErrno(Errno.ENODEV, () -> read32(vgpu, 0, 0x2030));
    }
}
