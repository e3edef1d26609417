package samples.mtty.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import vfio.core.Vfio;
import mdev.core.ErrnoException;
import mdev.core.MdevClassId;
import mdev.testkit.StubMdevDevice;
import vfio.core.EventFd;
import vfio.core.FileTable;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegions;

class MttyDeviceTest {
    final MttyDevice one = new MttyDevice(UUID.randomUUID(), 1);
    final MttyDevice two = new MttyDevice(UUID.randomUUID(), 2);

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    static int config32(MttyDevice d, int offset) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        d.read(b, VfioRegions.position(VFIO_PCI_CONFIG_REGION_INDEX, offset));
        return b.getInt(0);
    }

    static void writeConfig32(MttyDevice d, int offset, int value) {
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
        d.write(b, VfioRegions.position(VFIO_PCI_CONFIG_REGION_INDEX, offset));
    }

    static byte bar(MttyDevice d, int bar, int reg) {
        ByteBuffer b = ByteBuffer.allocate(1);
        d.read(b, VfioRegions.position(bar, reg));
        return b.get(0);
    }

    static void bar(MttyDevice d, int bar, int reg, int value) {
        d.write(ByteBuffer.wrap(new byte[] { (byte) value }), VfioRegions.position(bar, reg));
    }

    @Test
    void configSpaceIsThePciSerialCardOfTheSample() {
        assertThat(config32(two, 0x00)).as("vendor 4348 device 3253").isEqualTo(0x32534348);
        assertThat(config32(two, 0x04)).as("command I/O, status 0x0200").isEqualTo(0x02000001);
        assertThat(config32(two, 0x08)).as("class 07/00/02 rev 10").isEqualTo(0x07000210);
        assertThat(config32(two, 0x2c)).as("subsystem").isEqualTo(0x32534348);
        assertThat(config32(two, 0x3c) >>> 8 & 0xff).as("interrupt pin INTA").isEqualTo(1);
        assertThat(config32(two, 0x10)).isEqualTo(1);
        assertThat(config32(two, 0x14)).isEqualTo(1);
        assertThat(config32(one, 0x14)).as("no BAR1 with one port").isZero();
        // the whole 256 bytes, as a guest reads them (the sample's 0xff left the last dword out)
        assertThat(config32(two, 0xfc)).isZero();
        assertThat(two.getRegionInfo(Vfio.VFIO_PCI_CONFIG_REGION_INDEX).size()).isEqualTo(0x100);
    }

    @Test
    void barSizingReadsBackTheSizeMaskAndAddressesKeepTheirAlignedBits() {
        writeConfig32(two, 0x10, 0xffffffff);
        assertThat(config32(two, 0x10)).isEqualTo(0xfffffff9);
        writeConfig32(two, 0x10, 0xc013);
        assertThat(config32(two, 0x10)).isEqualTo(0xc011);
        writeConfig32(one, 0x14, 0xffffffff);
        assertThat(config32(one, 0x14)).isZero();
        writeConfig32(two, 0x18, 0xffffffff);
        assertThat(config32(two, 0x18)).as("BAR2 absent").isZero();
        writeConfig32(two, 0x00, 0);
        assertThat(config32(two, 0x00)).as("ids are read-only").isEqualTo(0x32534348);
        two.write(ByteBuffer.wrap(new byte[] { 0x0b }), VfioRegions.position(VFIO_PCI_CONFIG_REGION_INDEX, 0x3c));
        assertThat(config32(two, 0x3c)).isEqualTo(0x010b);
    }

    @Test
    void accessesOutsideARegionAreEinval() {
        assertErrno(Errno.EINVAL, () -> one.read(ByteBuffer.allocate(1), VfioRegions.position(1, 0)));
        assertErrno(Errno.EINVAL, () -> one.read(ByteBuffer.allocate(2), VfioRegions.position(0, 7)));
        assertErrno(Errno.EINVAL, () -> one.read(ByteBuffer.allocate(4), VfioRegions.position(7, 0xfd)));
        assertErrno(Errno.EINVAL, () -> one.write(ByteBuffer.allocate(1), VfioRegions.position(2, 0)));
        assertErrno(Errno.EINVAL, () -> one.read(ByteBuffer.allocate(1), VfioRegions.position(9, 0)));
        assertThat(one.read(ByteBuffer.allocate(4), VfioRegions.position(7, 0xfc))).isEqualTo(4);
    }

    @Test
    void regionAndIrqInfoAsTheSampleReportsThem() {
        assertThat(two.getInfo().numRegions()).isEqualTo(VFIO_PCI_NUM_REGIONS);
        assertThat(two.getInfo().numIrqs()).isEqualTo(VFIO_PCI_NUM_IRQS);
        assertThat(two.getRegionInfo(7).size()).isEqualTo(0x100);
        assertThat(two.getRegionInfo(7).offset()).isEqualTo(7L << 40);
        assertThat(two.getRegionInfo(1).size()).isEqualTo(8);
        assertThat(one.getRegionInfo(1).size()).isZero();
        assertThat(two.getIrqInfo(0).flags()).isEqualTo(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED);
        assertThat(two.getIrqInfo(1).flags()).isEqualTo(VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
        assertErrno(Errno.EINVAL, () -> two.getIrqInfo(VFIO_PCI_MSIX_IRQ_INDEX));
    }

    @Test
    void msiSignalsEveryInterruptAndExcludesIntx() {
        EventFd msi = new EventFd();
        two.setIrqs(VfioIrqSet.trigger(VFIO_PCI_MSI_IRQ_INDEX, 0, msi));
        assertErrno(Errno.EINVAL, () -> two.setIrqs(VfioIrqSet.trigger(VFIO_PCI_INTX_IRQ_INDEX, 0, new EventFd())));
        assertErrno(Errno.EINVAL, () -> two.setIrqs(VfioIrqSet.none(VFIO_IRQ_SET_ACTION_MASK, VFIO_PCI_MSI_IRQ_INDEX, 0, 1)));
        bar(two, 1, Uart16550.UART_IER, Uart16550.UART_IER_RDI);
        bar(two, 1, Uart16550.UART_TX, 'a');
        bar(two, 1, Uart16550.UART_RX);
        bar(two, 1, Uart16550.UART_TX, 'b');
        assertThat(msi.read()).isEqualTo(2);
        two.setIrqs(VfioIrqSet.none(VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_MSI_IRQ_INDEX, 0, 0));
        bar(two, 1, Uart16550.UART_TX, 'c');
        assertThat(msi.count()).isZero();
    }

    @Test
    void intxIsAutomaskedAndHonoursTheCommandRegister() {
        EventFd intx = new EventFd();
        one.setIrqs(VfioIrqSet.trigger(VFIO_PCI_INTX_IRQ_INDEX, 0, intx));
        one.setIrqs(VfioIrqSet.none(VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
        assertThat(intx.read()).as("a NONE trigger fires it").isEqualTo(1);
        one.setIrqs(VfioIrqSet.bool(VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX, 0, true));
        writeConfig32(one, 0x04, 0x0401);
        one.setIrqs(VfioIrqSet.none(VFIO_IRQ_SET_ACTION_TRIGGER, VFIO_PCI_INTX_IRQ_INDEX, 0, 1));
        assertThat(intx.count()).as("INTx disabled in the command register").isZero();
    }

    @Test
    void resetRestoresPowerOnState() {
        bar(one, 0, Uart16550.UART_SCR, 0x77);
        writeConfig32(one, 0x10, 0xc000);
        one.reset();
        assertThat(bar(one, 0, Uart16550.UART_SCR)).isZero();
        assertThat(config32(one, 0x10)).isEqualTo(1);
    }

    @Test
    void aRemovedDeviceAnswersEnodev() {
        one.markRemoved();
        assertErrno(Errno.ENODEV, () -> one.read(ByteBuffer.allocate(1), 0));
        assertErrno(Errno.ENODEV, () -> one.ioctl(VFIO_DEVICE_RESET, null, new FileTable()));
        assertErrno(Errno.ENODEV, one::open);
    }

    @Test
    void theParentHandsOutTwentyFourPortsAndAnswersEnospc() {
        MttyParent parent = new MttyParent();
        assertThat(parent.availableInstances(MttyParent.SINGLE)).isEqualTo(24);
        assertThat(parent.availableInstances(MttyParent.DUAL)).isEqualTo(12);
        StubMdevDevice first = new StubMdevDevice("mtty", "mtty-1");
        parent.create(MttyParent.DUAL, first);
        assertThat(first.classId()).isEqualTo(MdevClassId.VFIO);
        assertThat(first.deviceOps()).isInstanceOf(MttyDevice.class);
        for (int i = 0; i < 11; i++) {
            parent.create(MttyParent.DUAL, new StubMdevDevice("mtty", "mtty-1"));
        }
        assertThat(parent.availableInstances(MttyParent.SINGLE)).isZero();
        assertErrno(Errno.ENOSPC, () -> parent.create(MttyParent.SINGLE, new StubMdevDevice("mtty", "mtty-1")));
        parent.remove(first);
        assertThat(parent.availableInstances(MttyParent.DUAL)).isEqualTo(1);
        assertErrno(Errno.EINVAL, () -> parent.remove(first));
        assertErrno(Errno.ENODEV, () -> ((MttyDevice) first.deviceOps()).read(ByteBuffer.allocate(1), 0));
    }
}
