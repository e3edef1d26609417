package com.example.counter;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.UUID;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.PciConfig;
import vfio.core.VfioDeviceInfo;
import vfio.core.VfioIrqInfo;
import vfio.core.VfioIrqSet;
import vfio.core.VfioPciDeviceOps;
import vfio.core.VfioRegionInfo;
import vfio.core.VfioRegions;

/**
 * A PCI device (1b36:00ff) with one 4 KiB memory BAR: a write anywhere in BAR0 adds one to its
 * count, and a 32-bit read at offset 0 of BAR0 answers the count. Config space as a real
 * function's (PciConfig keeps the read-only bits read-only).
 */
final class CounterDevice extends VfioPciDeviceOps {
    static final int VENDOR_ID = 0x1b36;
    static final int DEVICE_ID = 0x00ff;
    static final int BAR0_SIZE = 4096;

    private final UUID uuid;
    private final PciConfig config;
    private int writes;

    CounterDevice(UUID uuid) {
        this.uuid = uuid;
        this.config = new PciConfig(VENDOR_ID, DEVICE_ID, PciConfig.COMMAND_MEMORY)
                .classCode(0xff0000, 0x01)
                .memoryBar32(0, BAR0_SIZE, 0)
                .seal();
    }

    @Override
    protected String describe() {
        return "counter device " + uuid;
    }

    @Override
    protected long regionSize(int index) {
        return switch (index) {
            case VFIO_PCI_CONFIG_REGION_INDEX -> PciConfig.SIZE;
            case VFIO_PCI_BAR0_REGION_INDEX -> BAR0_SIZE;
            default -> 0;
        };
    }

    @Override
    public VfioDeviceInfo getInfo() {
        return new VfioDeviceInfo(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, VFIO_PCI_NUM_REGIONS, VFIO_PCI_NUM_IRQS);
    }

    @Override
    public VfioRegionInfo getRegionInfo(int index) {
        checkAlive();
        long size = regionSize(index);
        return new VfioRegionInfo(index, size == 0 ? 0 : VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE,
                size, VfioRegions.position(index, 0));
    }

    @Override
    public synchronized int read(ByteBuffer dst, long pos) {
        int count = dst.remaining();
        int offset = checkAccess(pos, count);
        if (VfioRegions.index(pos) == VFIO_PCI_CONFIG_REGION_INDEX) {
            config.read(dst, offset);
            return count;
        }
        ByteBuffer value = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, writes);
        for (int i = 0; i < count; i++) {
            int at = offset + i;
            dst.put(at < 4 ? value.get(at) : 0);
        }
        return count;
    }

    @Override
    public synchronized int write(ByteBuffer src, long pos) {
        int count = src.remaining();
        int offset = checkAccess(pos, count);
        if (VfioRegions.index(pos) == VFIO_PCI_CONFIG_REGION_INDEX) {
            config.write(src, offset);
        } else {
            writes++;
        }
        src.position(src.limit());
        return count;
    }

    @Override
    public VfioIrqInfo getIrqInfo(int index) {
        return noIrqInfo(index);
    }

    @Override
    public void setIrqs(VfioIrqSet set) {
        refuseIrqs(set);
    }

    @Override
    public synchronized void reset() {
        checkAlive();
        config.reset();
        writes = 0;
    }
}
