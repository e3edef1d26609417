package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.Errno;
import mdev.core.MdevType;
import vfio.core.FileTable;
import vfio.core.IommuUapiCodec;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;
import vfio.type1.IommuModel;

/**
 * The shipped IOMMU-backed parent, samples.mdsa, in Felix: the whole vSVA flow of seed 002
 * through its work queues, two VMs at once, and its bundle stopped under a bound PASID.
 */
class MdsaIT extends BusTest {
    static final long RAM = 0x1_0000_0000L;   // where each VM's memory is in its address space
    static final long TABLES = 0x10000, DATA = 0x20000, RECORD = 0x22000;
    static final long VA_SRC = 0x40_0000L, VA_DST = 0x40_1000L, VA_RECORD = 0x40_2000L;

    @InjectService
    VfioService vfio;

    @InjectService
    IommuModel model;

    /** A guest with an mdsa work queue in a nesting container and a PASID bound to its page table. */
    final class Guest implements AutoCloseable {
        final UUID uuid = UUID.randomUUID();
        final FileTable files = new FileTable();
        final ByteBuffer ram;
        final VfioContainer container;
        final VfioGroup group;
        final VfioDeviceFile device;
        final int pasid;

        Guest(String name) {
            VmAddressSpace vm = new VmAddressSpace(name);
            ram = vm.allocate(RAM, 0x40000).order(ByteOrder.LITTLE_ENDIAN);
            bus.create("mdsa", "mdsa-1dwq", uuid);
            Fixture.vfioDevice(context, uuid);
            container = vfio.openContainer(vm, files);
            group = vfio.openGroup(vfio.groupOf(uuid.toString()), files);
            group.setContainer(container);
            container.setIommu(VFIO_TYPE1_NESTING_IOMMU);
            container.mapDma(RAM, 0, 0x40000, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
            device = group.getDevice(uuid.toString());
            pasid = container.allocPasid(1, 1 << 20);
            // PML4 -> PDPT -> PD -> PT; VA 0x400000.. -> DATA, DATA + 0x1000, RECORD
            ram.putLong((int) TABLES, TABLES + 0x1003).putLong((int) TABLES + 0x1000, TABLES + 0x2003)
                    .putLong((int) TABLES + 0x2010, TABLES + 0x3003);
            ram.putLong((int) TABLES + 0x3000, DATA | 3).putLong((int) TABLES + 0x3008, (DATA + 0x1000) | 3)
                    .putLong((int) TABLES + 0x3010, RECORD | 3);
            container.bindGuestPgtbl(new IommuUapiCodec.GpasidBind(IOMMU_PASID_FORMAT_INTEL_VTD,
                    IommuUapiCodec.IOMMU_SVA_GPASID_VAL, TABLES, pasid, pasid, 48, 0, 0, 0));
        }

        /** MEMMOVE of {@code n} bytes from VA_SRC to VA_DST with a completion record; returns its status. */
        int move(int tag, int n) {
            ByteBuffer d = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            d.putInt(0, tag).putInt(4, 0x0300000c).putLong(8, VA_RECORD).putLong(16, VA_SRC).putLong(24, VA_DST)
                    .putInt(32, n);
            device.writeRegion(VFIO_PCI_BAR2_REGION_INDEX, 0, d.array());
            return ram.get((int) RECORD) & 0xff;
        }

        long register(int offset) {
            return ByteBuffer.wrap(device.readRegion(VFIO_PCI_BAR0_REGION_INDEX, offset, 8)).order(ByteOrder.LITTLE_ENDIAN)
                    .getLong(0);
        }

        @Override
        public void close() {
            try {
                device.close();
            } catch (RuntimeException gone) {
                // the device went with its bundle
            }
            group.close();
            container.close();
        }
    }

    @Test
    void twoVmsCopyThroughTheirOwnPageTablesAtOnce() throws Exception {
        try (Guest a = new Guest("a"); Guest b = new Guest("b")) {
            assertThat(model.binds()).extracting(IommuModel.GpasidBind::hpasid)
                    .containsExactlyInAnyOrder((long) a.pasid, (long) b.pasid);
            ExecutorService threads = Executors.newFixedThreadPool(2);
            List<Future<?>> done = new ArrayList<>();
            for (Guest g : List.of(a, b)) {
                done.add(threads.submit((Callable<Void>) () -> {
                    for (int i = 0; i < 300; i++) {
                        byte mark = (byte) (i ^ g.pasid);
                        for (int k = 0; k < 64; k++) {
                            g.ram.put((int) DATA + k, mark);
                        }
                        assertThat(g.move(g.pasid, 64)).isEqualTo(1);
                        assertThat(g.ram.get((int) DATA + 0x1000 + 63)).isEqualTo(mark);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            threads.shutdown();
            // A's queue tagging B's PASID reaches nothing of B's: no table is bound for it on A's side
            a.ram.put((int) RECORD, (byte) 0);
            a.move(b.pasid, 8);
            assertThat(a.register(0x10)).isEqualTo(3);
            assertThat(a.register(0x18)).isEqualTo(VA_SRC);
            PasidIT.assertErrno(Errno.EACCES, () -> a.container.cacheInvalidate(new IommuUapiCodec.CacheInvalidate(1,
                    IommuUapiCodec.IOMMU_INV_GRANU_PASID, 1, 0, b.pasid, 0, 0, 0)));
        }
        assertThat(model.binds()).isEmpty();
        assertThat(model.pasids()).isEmpty();
    }

    @Test
    void stoppingTheParentUnderABoundPasidLeavesNothingBehindAndStartingBringsItBack() throws Exception {
        Bundle mdsa = Fixture.bundle(context, "samples.mdsa");
        try (Guest g = new Guest("g")) {
            g.ram.put((int) DATA, (byte) 42);
            assertThat(g.move(g.pasid, 1)).isEqualTo(1);
            mdsa.stop();
            try {
                PasidIT.assertErrno(Errno.ENODEV, () -> g.move(g.pasid, 1));
                PasidIT.assertErrno(Errno.ENODEV, () -> g.register(0x10));
                assertThat(bus.devices()).isEmpty();
                assertThat(bus.parents()).doesNotContain("mdsa");
            } finally {
                mdsa.start();
            }
            Fixture.awaitParent(bus, "mdsa");
            MdevType type = bus.types("mdsa").get(0);
            assertThat(type.availableInstances()).isEqualTo(8);
        }
        assertThat(model.binds()).isEmpty();
        assertThat(model.domains()).isEmpty();
        // a new work queue works as the first did
        try (Guest again = new Guest("again")) {
            again.ram.put((int) DATA, (byte) 7);
            assertThat(again.move(again.pasid, 1)).isEqualTo(1);
            assertThat(again.ram.get((int) DATA + 0x1000)).isEqualTo((byte) 7);
        }
    }
}
