package samples.mdsa.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.EventFd;
import vfio.core.VfioDeviceContext;
import vfio.core.VfioDma;
import vfio.core.VfioIrqSet;
import vfio.core.VfioRegions;

/** The work queue's engine against an IOMMU of its own: pages of PASID 5 mapped by hand. */
class MdsaDeviceTest {
    static final int PASID = 5;
    final ByteBuffer guest = ByteBuffer.allocate(0x40000).order(ByteOrder.LITTLE_ENDIAN);
    /** PASID 5's virtual pages to guest-physical pages; negative: read-only. */
    final Map<Long, Long> pages = new HashMap<>();
    final MdsaDevice device = new MdsaDevice(UUID.randomUUID(), MdsaParent.PHYSICAL_DEVICE);

    final VfioDma iommu = new mdev.testkit.BufferDma(guest) {
        @Override
        public long translatePasid(String physicalDevice, int pasid, long address, int prot) {
            Long page = pages.get(address >>> 12);
            if (!physicalDevice.equals(MdsaParent.PHYSICAL_DEVICE) || pasid != PASID || page == null
                    || (page < 0 && (prot & IOMMU_WRITE) != 0)) {
                throw new ErrnoException(Errno.EFAULT, "page fault at 0x" + Long.toHexString(address));
            }
            return Math.abs(page) << 12 | (address & 0xfff);
        }
    };

    MdsaDeviceTest() {
        pages.put(0x400L, 0x20L);   // VA 0x400000.. -> GPA 0x20000
        pages.put(0x401L, 0x30L);   // VA 0x401000.. -> GPA 0x30000 (not contiguous)
        pages.put(0x500L, 0x21L);   // VA 0x500000.. -> GPA 0x21000
        pages.put(0x501L, 0x22L);
        pages.put(0x600L, -0x23L);  // read-only
        pages.put(0x700L, 0x24L);   // completion records
        device.open((VfioDeviceContext) () -> iommu);
    }

    void submit(Descriptor d) {
        device.write(d.encode(), VfioRegions.position(VFIO_PCI_BAR2_REGION_INDEX, 0));
    }

    long register(int offset) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        device.read(b, VfioRegions.position(VFIO_PCI_BAR0_REGION_INDEX, offset));
        return b.getLong(0);
    }

    int recordStatus() {
        return guest.get(0x24000) & 0xff;
    }

    @Test
    void aMoveCrossesPagesThroughTheTranslation() {
        for (int i = 0; i < 0x1800; i++) {
            guest.put((i < 0x1000 ? 0x20000 : 0x30000 - 0x1000) + i, (byte) i);
        }
        submit(Descriptor.of(PASID, Descriptor.OPCODE_MEMMOVE, Descriptor.FLAG_CRAV | Descriptor.FLAG_RCR, 0x70_0000L,
                0x40_0000L, 0x50_0800L, 0x1800));
        for (int i = 0; i < 0x1800; i++) {
            assertThat(guest.get(0x21800 + i)).as("byte %d", i).isEqualTo((byte) i);
        }
        assertThat(recordStatus()).isEqualTo(Descriptor.STATUS_SUCCESS);
        assertThat(guest.getInt(0x24004)).isEqualTo(0x1800);
        assertThat(register(MdsaDevice.REG_STATUS)).isEqualTo(Descriptor.STATUS_SUCCESS);
        assertThat(register(MdsaDevice.REG_COMPLETED)).isEqualTo(1);
        assertThat(register(MdsaDevice.REG_BYTES)).isEqualTo(0x1800);
    }

    @Test
    void aFillRepeatsItsPattern() {
        submit(Descriptor.of(PASID, Descriptor.OPCODE_MEMFILL, 0, 0, 0x0807060504030201L, 0x50_0000L, 20));
        assertThat(guest.get(0x21000)).isEqualTo((byte) 1);
        assertThat(guest.get(0x21008)).isEqualTo((byte) 1);
        assertThat(guest.get(0x21013)).isEqualTo((byte) 4);
        assertThat(guest.get(0x21014)).isEqualTo((byte) 0);
    }

    @Test
    void aPageFaultIsReportedWithItsAddressAndWhatWasDone() {
        submit(Descriptor.of(PASID, Descriptor.OPCODE_MEMFILL, Descriptor.FLAG_CRAV, 0x70_0000L, 0, 0x50_1800L, 0x1000));
        assertThat(recordStatus()).as("without RCR a record is written on error").isEqualTo(Descriptor.STATUS_PAGE_FAULT);
        assertThat(guest.getInt(0x24004)).isEqualTo(0x800);
        assertThat(guest.getLong(0x24008)).isEqualTo(0x50_2000L);
        assertThat(register(MdsaDevice.REG_FAULT_ADDR)).isEqualTo(0x50_2000L);
        // a write to a read-only page faults too, the source read of another PASID as well
        submit(Descriptor.of(PASID, Descriptor.OPCODE_MEMFILL, 0, 0, 0, 0x60_0000L, 8));
        assertThat(register(MdsaDevice.REG_STATUS)).isEqualTo(Descriptor.STATUS_PAGE_FAULT);
        submit(Descriptor.of(6, Descriptor.OPCODE_MEMMOVE, 0, 0, 0x40_0000L, 0x50_0000L, 8));
        assertThat(register(MdsaDevice.REG_FAULT_ADDR)).isEqualTo(0x40_0000L);
    }

    @Test
    void aRecordThatCannotBeWrittenLeavesTheFirstFaultInTheRegisters() {
        submit(Descriptor.of(PASID, Descriptor.OPCODE_MEMMOVE, Descriptor.FLAG_CRAV, 0x90_0000L, 0x80_0000L, 0x50_0000L, 8));
        assertThat(register(MdsaDevice.REG_STATUS)).isEqualTo(Descriptor.STATUS_PAGE_FAULT);
        assertThat(register(MdsaDevice.REG_FAULT_ADDR)).isEqualTo(0x80_0000L);
        submit(Descriptor.of(PASID, Descriptor.OPCODE_NOOP, Descriptor.FLAG_CRAV | Descriptor.FLAG_RCR, 0x90_0000L, 0, 0, 0));
        assertThat(register(MdsaDevice.REG_STATUS)).isEqualTo(Descriptor.STATUS_PAGE_FAULT);
        assertThat(register(MdsaDevice.REG_FAULT_ADDR)).isEqualTo(0x90_0000L);
    }

    @Test
    void withoutRcrASuccessWritesNoRecord() {
        guest.put(0x24000, (byte) 0x77);
        submit(Descriptor.of(PASID, Descriptor.OPCODE_NOOP, Descriptor.FLAG_CRAV, 0x70_0000L, 0, 0, 0));
        assertThat(guest.get(0x24000)).isEqualTo((byte) 0x77);
        assertThat(register(MdsaDevice.REG_STATUS)).isEqualTo(Descriptor.STATUS_SUCCESS);
    }

    @Test
    void malformedDescriptorsEndInTheirStatusAndMoveNothing() {
        assertStatus(Descriptor.of(PASID, 0x7f, 0, 0, 0, 0, 0), Descriptor.STATUS_INVALID_OPCODE);
        assertStatus(Descriptor.of(PASID, Descriptor.OPCODE_MEMFILL, 0x40, 0, 0, 0x50_0000L, 8), Descriptor.STATUS_INVALID_FLAGS);
        assertStatus(new Descriptor(PASID, true, 0, 0, 3, 0, 0x40_0000L, 0x50_0000L, 8, true), Descriptor.STATUS_INVALID_FLAGS);
        assertStatus(new Descriptor(PASID, false, 1, 0, 3, 0, 0x40_0000L, 0x50_0000L, 8, true), Descriptor.STATUS_NONZERO_RESERVED);
        assertStatus(Descriptor.of(PASID, Descriptor.OPCODE_MEMMOVE, 0, 0, 0x40_0000L, 0x50_0000L, 0), Descriptor.STATUS_INVALID_SIZE);
        assertStatus(Descriptor.of(PASID, Descriptor.OPCODE_MEMMOVE, 0, 0, 0x40_0000L, 0x50_0000L, Descriptor.MAX_XFER + 1),
                Descriptor.STATUS_INVALID_SIZE);
        assertStatus(Descriptor.of(PASID, Descriptor.OPCODE_NOOP, Descriptor.FLAG_CRAV, 0x70_0010L, 0, 0, 0),
                Descriptor.STATUS_INVALID_COMPLETION_ADDR);
        ByteBuffer reserved = Descriptor.of(PASID, Descriptor.OPCODE_NOOP, 0, 0, 0, 0, 0).encode();
        reserved.put(0x30, (byte) 1);
        device.write(reserved, VfioRegions.position(VFIO_PCI_BAR2_REGION_INDEX, 0x40));
        assertThat(register(MdsaDevice.REG_STATUS)).isEqualTo(Descriptor.STATUS_NONZERO_RESERVED);
        assertThat(register(MdsaDevice.REG_BYTES)).isZero();
        assertThat(guest.get(0x21000)).isZero();
    }

    void assertStatus(Descriptor d, int status) {
        submit(d);
        assertThat(register(MdsaDevice.REG_STATUS)).as("status of %s", d).isEqualTo(status);
    }

    @Test
    void thePortalTakesOnlyWholeAlignedDescriptors() {
        assertErrno(Errno.EINVAL, () -> device.write(ByteBuffer.allocate(32), VfioRegions.position(VFIO_PCI_BAR2_REGION_INDEX, 0)));
        assertErrno(Errno.EINVAL, () -> device.write(ByteBuffer.allocate(64), VfioRegions.position(VFIO_PCI_BAR2_REGION_INDEX, 32)));
        assertErrno(Errno.EINVAL, () -> device.write(ByteBuffer.allocate(64), VfioRegions.position(VFIO_PCI_BAR2_REGION_INDEX, 0x1000)));
        assertErrno(Errno.EINVAL, () -> device.read(ByteBuffer.allocate(4), VfioRegions.position(VFIO_PCI_BAR1_REGION_INDEX, 0)));
        assertThat(register(MdsaDevice.REG_COMPLETED)).isZero();
    }

    @Test
    void aCompletionInterruptIsSignalledWhenAsked() {
        EventFd msi = new EventFd();
        device.setIrqs(VfioIrqSet.trigger(VFIO_PCI_MSI_IRQ_INDEX, 0, msi));
        submit(Descriptor.of(PASID, Descriptor.OPCODE_NOOP, 0, 0, 0, 0, 0));
        submit(Descriptor.of(PASID, Descriptor.OPCODE_NOOP, Descriptor.FLAG_RCI, 0, 0, 0, 0));
        assertThat(msi.read()).isEqualTo(1);
        assertErrno(Errno.EINVAL, () -> device.setIrqs(VfioIrqSet.trigger(VFIO_PCI_INTX_IRQ_INDEX, 0, new EventFd())));
    }

    @Test
    void openedOutsideAContainerTheQueueReachesNoMemory() {
        MdsaDevice direct = new MdsaDevice(UUID.randomUUID(), MdsaParent.PHYSICAL_DEVICE);
        direct.open((VfioDeviceContext) () -> {
            throw new ErrnoException(Errno.EINVAL, "no container");
        });
        direct.write(Descriptor.of(PASID, Descriptor.OPCODE_MEMFILL, 0, 0, 1, 0x50_0000L, 8).encode(),
                VfioRegions.position(VFIO_PCI_BAR2_REGION_INDEX, 0));
        ByteBuffer status = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        direct.read(status, VfioRegions.position(VFIO_PCI_BAR0_REGION_INDEX, MdsaDevice.REG_STATUS));
        assertThat(status.getInt(0)).isEqualTo(Descriptor.STATUS_NO_IOMMU);
    }

    @Test
    void configSpaceSizesItsBarsAndKeepsItsIdentity() {
        long config = VfioRegions.position(VFIO_PCI_CONFIG_REGION_INDEX, 0);
        device.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, -1), config + 0x10);
        device.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, -1), config + 0x00);
        ByteBuffer space = ByteBuffer.allocate(0x100).order(ByteOrder.LITTLE_ENDIAN);
        device.read(space, config);
        assertThat(space.getInt(0x10)).isEqualTo(0xfffff004);
        assertThat(space.getShort(0x00)).isEqualTo((short) 0x1234);
        assertThat(space.getInt(0xfc)).isZero();
    }

    @Test
    void aRemovedQueueAnswersEnodev() {
        device.markRemoved();
        assertErrno(Errno.ENODEV, () -> submit(Descriptor.of(PASID, 0, 0, 0, 0, 0, 0)));
    }

    @Test
    void theParentCountsItsQueues() {
        MdsaParent parent = new MdsaParent();
        assertThat(parent.availableInstances(MdsaParent.DEDICATED_WQ)).isEqualTo(MdsaParent.WORK_QUEUES);
    }

    static void assertErrno(Errno errno, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }
}
