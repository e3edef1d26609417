package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Hashtable;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
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
import vendor.ccw.Ccw;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.VfioContainer;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioGroup;
import vfio.core.VfioIrqSet;
import vfio.core.VfioService;
import vfio.core.VmAddressSpace;
import vfio.type1.IommuModel;

/**
 * Issue 7: subchannels configured through Configuration Admin, a vfio-ccw mdev in a container
 * as QEMU drives it (guest memory mapped, channel programs written into it, ssch through the
 * I/O region, the I/O interrupt through an eventfd), and vendor.ccw stopped with a program in
 * flight: nothing stays pinned.
 */
class CcwIT extends BusTest {
    static final String FAST = "0.0.0200";
    static final String SLOW = "0.0.0201";
    static final long RAM_VADDR = 0x7f00_0000_0000L;
    static final int RAM_SIZE = 1 << 20;

    @InjectService
    ConfigurationAdmin configAdmin;

    @InjectService
    VfioService vfio;

    Configuration fast;
    Configuration slow;
    final FileTable files = new FileTable();
    final VmAddressSpace vm = new VmAddressSpace("s390-guest");
    final ByteBuffer ram = vm.allocate(RAM_VADDR, RAM_SIZE).order(ByteOrder.BIG_ENDIAN);
    final EventFd ioIrq = new EventFd();

    @BeforeEach
    void configureSubchannels() throws Exception {
        fast = configAdmin.getFactoryConfiguration("vendor.ccw.subchannel", "itest-fast", "?");
        fast.update(new Hashtable<>(Map.of("schid", FAST, "capacity", 64 * 1024)));
        slow = configAdmin.getFactoryConfiguration("vendor.ccw.subchannel", "itest-slow", "?");
        slow.update(new Hashtable<>(Map.of("schid", SLOW, "delay.ms", 3_000L)));
        Fixture.awaitParent(bus, FAST);
        Fixture.awaitParent(bus, SLOW);
    }

    @AfterEach
    void deleteSubchannels() throws Exception {
        Fixture.reset(context);
        fast.delete();
        slow.delete();
        Fixture.await("subchannels gone", () -> !bus.parents().contains(FAST) && !bus.parents().contains(SLOW));
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    /** QEMU's vfio-ccw realize: group into a container of the VM, type1, RAM mapped at IOVA 0. */
    VfioDeviceFile openInContainer(UUID uuid) {
        return openInContainer(uuid, ioIrq);
    }

    VfioDeviceFile openInContainer(UUID uuid, EventFd irq) {
        VfioContainer container = vfio.openContainer(vm, files);
        VfioGroup group = Fixture.groupInContainer(context, vfio, uuid, container, files);
        container.mapDma(RAM_VADDR, 0, RAM_SIZE, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        VfioDeviceFile device = group.getDevice(uuid.toString());
        device.setIrqs(VfioIrqSet.trigger(Ccw.VFIO_CCW_IO_IRQ_INDEX, 0, irq));
        return device;
    }

    /** The guest's side: a format-1 CCW in its memory. */
    void ccw(int at, int cmd, int flags, int count, int cda) {
        new Ccw.Ccw1(cmd, flags, count, cda).encode(ram.slice(at, 8));
    }

    static byte[] ssch(int cpa) {
        ByteBuffer region = ByteBuffer.allocate(Ccw.IO_REGION_SIZE);
        new Ccw.Orb(0x1234_5678, 0, true, true, true, false, 0x80, false, false, false, cpa)
                .encode(region.slice(Ccw.IO_ORB, 12));
        new Ccw.Scsw(Ccw.SCSW_FCTL_START_FUNC, 0, 0, 0, 0, 0, 0).encode(region.slice(Ccw.IO_SCSW, 12));
        return region.array();
    }

    static Ccw.Scsw irb(VfioDeviceFile device) {
        return Ccw.Scsw.decode(ByteBuffer.wrap(device.readRegion(0, Ccw.IO_IRB, 12)));
    }

    int pinnedPages() {
        IommuModel model = context.getService(context.getServiceReference(IommuModel.class));
        return model.mappings().stream().filter(m -> m.vm().equals("s390-guest"))
                .mapToInt(IommuModel.Mapping::pinnedPages).sum();
    }

    @Test
    void oneIoTypePerSubchannelAndAProgramRunsThroughTheIommu() throws Exception {
        assertThat(bus.types(FAST)).singleElement().satisfies(t -> {
            assertThat(t.id()).isEqualTo("vfio_ccw-io");
            assertThat(t.deviceApi()).isEqualTo("vfio-ccw");
            assertThat(t.availableInstances()).isEqualTo(1L);
        });
        UUID uuid = UUID.randomUUID();
        bus.create(FAST, "vfio_ccw-io", uuid);
        assertThat(bus.types(FAST)).extracting(MdevType::availableInstances).containsExactly(0L);
        assertThatThrownBy(() -> bus.create(FAST, "vfio_ccw-io", UUID.randomUUID()))
                .isInstanceOf(ErrnoException.class);
        try (VfioDeviceFile device = openInContainer(uuid)) {
            assertThat(device.getInfo().flags() & VFIO_DEVICE_FLAGS_CCW).isNotZero();
            assertThat(device.getRegionInfo(1).caps()).containsExactly(new vfio.core.VfioRegionInfo.Type(
                    Ccw.VFIO_REGION_TYPE_CCW, Ccw.VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD));
            byte[] text = "a record written and read back over a page boundary".getBytes(StandardCharsets.US_ASCII);
            ram.put(0x2ff0, text);
            ccw(0x1000, Ccw.CMD_WRITE, Ccw.CCW_FLAG_CC, text.length, 0x2ff0);     // crosses 0x3000
            ccw(0x1008, Ccw.CMD_SEEK, Ccw.CCW_FLAG_CC, 8, 0x1800);                 // seek to 0
            ccw(0x1010, Ccw.CMD_READ, 0, text.length, 0x5ffa);                    // crosses 0x6000
            device.writeRegion(0, 0, ssch(0x1000));
            assertThat(ioIrq.await(10, TimeUnit.SECONDS)).as("I/O interrupt").isTrue();
            Ccw.Scsw scsw = irb(device);
            assertThat(scsw.fctl()).isEqualTo(Ccw.SCSW_FCTL_START_FUNC);
            assertThat(scsw.dstat()).isEqualTo(Ccw.DEV_STAT_CHN_END | Ccw.DEV_STAT_DEV_END);
            assertThat(scsw.cpa()).isEqualTo(0x1018);
            assertThat(scsw.count()).isZero();
            byte[] back = new byte[text.length];
            ram.get(0x5ffa, back);
            assertThat(back).isEqualTo(text);
            Fixture.await("pages unpinned", () -> pinnedPages() == 0);
            // A CDA outside the VM's mappings fails cleanly: EINVAL in ret_code, nothing pinned.
            ccw(0x1000, Ccw.CMD_READ, 0, 16, 0x7000_0000);
            assertErrno(Errno.EINVAL, () -> device.writeRegion(0, 0, ssch(0x1000)));
            assertThat(ByteBuffer.wrap(device.readRegion(0, Ccw.IO_RET_CODE, 4)).getInt())
                    .isEqualTo(-Errno.EINVAL.number());
            assertThat(pinnedPages()).isZero();
        }
    }

    @Test
    void varyingAChannelPathReachesTheGuestAsACrw() throws Exception {
        UUID uuid = UUID.randomUUID();
        bus.create(FAST, "vfio_ccw-io", uuid);
        vendor.ccw.CcwSubchannel subchannel = context.getServiceReferences(vendor.ccw.CcwSubchannel.class, null)
                .stream().map(context::getService).filter(c -> c.schid().equals(FAST)).findFirst().orElseThrow();
        try (VfioDeviceFile device = openInContainer(uuid)) {
            EventFd crwIrq = new EventFd();
            device.setIrqs(VfioIrqSet.trigger(Ccw.VFIO_CCW_CRW_IRQ_INDEX, 0, crwIrq));
            subchannel.vary(0, false);
            assertThat(crwIrq.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(device.readRegion(3, 0, 8)).containsExactly(0x04, 0x06, 0, 0, 0, 0, 0, 0);
            assertThat(device.readRegion(2, 8, 1)).as("lpm in the SCHIB").containsExactly(0);
            ccw(0x1000, Ccw.CMD_NOP, 0, 0, 0);
            assertErrno(Errno.EACCES, () -> device.writeRegion(0, 0, ssch(0x1000)));
            subchannel.vary(0, true);
            device.writeRegion(0, 0, ssch(0x1000));
            assertThat(ioIrq.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(irb(device).dstat()).isEqualTo(Ccw.DEV_STAT_CHN_END | Ccw.DEV_STAT_DEV_END);
        } finally {
            subchannel.vary(0, true);
        }
    }

    @Test
    void haltThroughTheAsyncRegionEndsAProgramInFlight() throws Exception {
        UUID uuid = UUID.randomUUID();
        bus.create(SLOW, "vfio_ccw-io", uuid);
        try (VfioDeviceFile device = openInContainer(uuid)) {
            ccw(0x1000, Ccw.CMD_READ, Ccw.CCW_FLAG_IDA, 8192, 0x1800);
            ram.putLong(0x1800, 0x4000).putLong(0x1808, 0x5000);
            device.writeRegion(0, 0, ssch(0x1000));
            assertThat(pinnedPages()).as("two data pages pinned while pending").isEqualTo(2);
            assertErrno(Errno.EBUSY, () -> device.writeRegion(0, 0, ssch(0x1000)));
            device.writeRegion(1, 0, (byte) 0, (byte) 0, (byte) 0, (byte) Ccw.VFIO_CCW_ASYNC_CMD_HSCH);
            assertThat(ioIrq.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(irb(device).fctl()).isEqualTo(Ccw.SCSW_FCTL_HALT_FUNC);
            assertThat(pinnedPages()).isZero();
        }
    }

    @Test
    void stoppingVendorCcwWithAProgramInFlightUnpinsAndAnswersEnodev() throws Exception {
        Bundle ccw = Fixture.bundle(context, "vendor.ccw");
        UUID uuid = UUID.randomUUID();
        bus.create(SLOW, "vfio_ccw-io", uuid);
        VfioDeviceFile device = openInContainer(uuid);
        ccw(0x1000, Ccw.CMD_WRITE, Ccw.CCW_FLAG_CC, 4096, 0x8000);
        ccw(0x1008, Ccw.CMD_READ, 0, 4096, 0x9000);
        device.writeRegion(0, 0, ssch(0x1000));
        assertThat(pinnedPages()).isEqualTo(2);
        long before = System.nanoTime();
        Fixture.stop(ccw);
        try {
            assertThat(System.nanoTime() - before).as("the stop does not wait out the program")
                    .isLessThan(TimeUnit.SECONDS.toNanos(2));
            assertThat(pinnedPages()).isZero();
            assertThat(bus.parents()).doesNotContain(FAST, SLOW);
            assertThat(bus.device(uuid)).isEmpty();
            assertErrno(Errno.ENODEV, () -> device.writeRegion(0, 0, ssch(0x1000)));
            assertErrno(Errno.ENODEV, device::getInfo);
            Thread.sleep(200);
            assertThat(ioIrq.count()).as("no interrupt for a program of a device that went").isZero();
        } finally {
            device.close();
            Fixture.start(ccw);
        }
        Fixture.awaitParent(bus, SLOW);
        assertThat(bus.types(SLOW)).extracting(MdevType::availableInstances).containsExactly(1L);
        UUID again = UUID.randomUUID();
        bus.create(SLOW, "vfio_ccw-io", again);
        assertThat(Fixture.hasMdevService(context, again)).isTrue();
    }

    @Test
    void subchannelsRunProgramsConcurrently() throws Exception {
        UUID a = UUID.randomUUID();
        bus.create(FAST, "vfio_ccw-io", a);
        Configuration third = configAdmin.getFactoryConfiguration("vendor.ccw.subchannel", "itest-third", "?");
        third.update(new Hashtable<>(Map.of("schid", "0.0.0202")));
        try {
            Fixture.awaitParent(bus, "0.0.0202");
            UUID b = UUID.randomUUID();
            bus.create("0.0.0202", "vfio_ccw-io", b);
            EventFd irqA = new EventFd();
            EventFd irqB = new EventFd();
            try (VfioDeviceFile da = openInContainer(a, irqA); VfioDeviceFile db = openInContainer(b, irqB)) {
                java.util.List<Thread> guests = new java.util.ArrayList<>();
                java.util.Queue<Throwable> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
                VfioDeviceFile[] devices = { da, db };
                EventFd[] irqs = { irqA, irqB };
                for (int g = 0; g < 2; g++) {
                    int base = 0x10000 * (g + 1);
                    VfioDeviceFile d = devices[g];
                    EventFd irq = irqs[g];
                    guests.add(new Thread(() -> {
                        try {
                            for (int round = 0; round < 200; round++) {
                                ram.putInt(base + 0x2000, round * 2 + base);
                                ccw(base, Ccw.CMD_WRITE, Ccw.CCW_FLAG_CC, 4, base + 0x2000);
                                ccw(base + 8, Ccw.CMD_SEEK, Ccw.CCW_FLAG_CC, 8, base + 0x3000);
                                ccw(base + 16, Ccw.CMD_READ, 0, 4, base + 0x4000);
                                d.writeRegion(0, 0, ssch(base));
                                assertThat(irq.await(10, TimeUnit.SECONDS)).isTrue();
                                irq.read();
                                assertThat(irb(d).dstat()).isEqualTo(Ccw.DEV_STAT_CHN_END | Ccw.DEV_STAT_DEV_END);
                                assertThat(ram.getInt(base + 0x4000)).isEqualTo(round * 2 + base);
                            }
                        } catch (Throwable t) {
                            failures.add(t);
                        }
                    }));
                }
                guests.forEach(Thread::start);
                for (Thread t : guests) {
                    t.join(60_000);
                }
                assertThat(failures).isEmpty();
                assertThat(pinnedPages()).isZero();
            }
        } finally {
            Fixture.reset(context);
            third.delete();
        }
    }
}
