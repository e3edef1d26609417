package mdev.itest;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import vfio.core.EventFd;
import vfio.core.VfioDeviceFile;
import vfio.core.VfioIrqSet;
import vfio.core.VmAddressSpace;

/**
 * What Linux's virtio_pci_modern does with a function, written for tests: finds the vendor
 * capabilities in config space, resets, negotiates, sets up split queues in guest memory with
 * MSI-X (config on vector 0, queue i on vector i + 1) and goes DRIVER_OK. Guest-physical
 * addresses are IOVAs of the container (guest RAM at {@code ramIova} is VM memory at {@code ramVaddr}).
 */
final class VirtioPciDriver {
    static final int BAR4 = VFIO_PCI_BAR4_REGION_INDEX;
    final VfioDeviceFile file;
    final VmAddressSpace vm;
    final long ramVaddr;
    final long ramIova;
    int common = -1;
    int notify = -1;
    int notifyMultiplier;
    int isr = -1;
    int deviceCfg = -1;
    int msixCap = -1;
    EventFd[] vectors;
    /** Per queue: size, desc, avail, used (IOVAs); next free IOVA. */
    final long[][] queues = new long[8][];
    long nextFree;

    VirtioPciDriver(VfioDeviceFile file, VmAddressSpace vm, long ramVaddr, long ramIova) {
        this.file = file;
        this.vm = vm;
        this.ramVaddr = ramVaddr;
        this.ramIova = ramIova;
        this.nextFree = ramIova + 0x10000;
    }

    int config8(int at) {
        return file.readRegion(VFIO_PCI_CONFIG_REGION_INDEX, at, 1)[0] & 0xff;
    }

    int config16(int at) {
        return ByteBuffer.wrap(file.readRegion(VFIO_PCI_CONFIG_REGION_INDEX, at, 2)).order(ByteOrder.LITTLE_ENDIAN)
                .getShort() & 0xffff;
    }

    int config32(int at) {
        return ByteBuffer.wrap(file.readRegion(VFIO_PCI_CONFIG_REGION_INDEX, at, 4)).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    /** vp_modern_probe: walks the capability list. */
    void probe() {
        for (int cap = config8(0x34); cap != 0; cap = config8(cap + 1)) {
            int id = config8(cap);
            if (id == 0x11) {
                msixCap = cap;
            } else if (id == 0x09) {
                int type = config8(cap + 3);
                int offset = config32(cap + 8);
                switch (type) {
                    case 1 -> common = offset;
                    case 2 -> {
                        notify = offset;
                        notifyMultiplier = config32(cap + 16);
                    }
                    case 3 -> isr = offset;
                    case 4 -> deviceCfg = offset;
                    default -> { }
                }
            }
        }
    }

    long read(int offset, int size) {
        ByteBuffer b = ByteBuffer.wrap(file.readRegion(BAR4, offset, size)).order(ByteOrder.LITTLE_ENDIAN);
        return switch (size) {
            case 1 -> b.get() & 0xffL;
            case 2 -> b.getShort() & 0xffffL;
            case 4 -> b.getInt() & 0xffff_ffffL;
            default -> b.getLong();
        };
    }

    void write(int offset, int size, long value) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        switch (size) {
            case 1 -> b.put((byte) value);
            case 2 -> b.putShort((short) value);
            default -> b.putInt((int) value);
        }
        file.writeRegion(BAR4, offset, b.array());
    }

    int status() {
        return (int) read(common + 0x14, 1);
    }

    long deviceFeatures() {
        write(common, 4, 0);
        long lo = read(common + 4, 4);
        write(common, 4, 1);
        return lo | read(common + 4, 4) << 32;
    }

    /** Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; returns the status read back. */
    int negotiate(long features) {
        write(common + 0x14, 1, 0);
        write(common + 0x14, 1, 1);
        write(common + 0x14, 1, 3);
        write(common + 0x08, 4, 0);
        write(common + 0x0c, 4, features & 0xffff_ffffL);
        write(common + 0x08, 4, 1);
        write(common + 0x0c, 4, features >>> 32);
        write(common + 0x14, 1, 3 | 8);
        return status();
    }

    /** MSI-X on: an eventfd per vector (what QEMU does once the guest enables MSI-X). */
    void enableMsix(int count) {
        vectors = new EventFd[count];
        for (int i = 0; i < count; i++) {
            vectors[i] = new EventFd();
        }
        file.setIrqs(VfioIrqSet.trigger(VFIO_PCI_MSIX_IRQ_INDEX, 0, vectors));
        write(common + 0x10, 2, 0);
    }

    /** Sets up queue {@code q} of {@code size} entries on vector q + 1. */
    void setupQueue(int q, int size) {
        write(common + 0x16, 2, q);
        write(common + 0x18, 2, size);
        long desc = alloc(16L * size, 4096);
        long avail = alloc(6 + 2L * size, 2);
        long used = alloc(6 + 8L * size, 4096);
        queues[q] = new long[] { size, desc, avail, used, 0 };
        write(common + 0x1a, 2, q + 1);
        write64(common + 0x20, desc);
        write64(common + 0x28, avail);
        write64(common + 0x30, used);
        write(common + 0x1c, 2, 1);
    }

    void write64(int offset, long value) {
        write(offset, 4, value & 0xffff_ffffL);
        write(offset + 4, 4, value >>> 32);
    }

    long alloc(long size, long align) {
        long at = (nextFree + align - 1) & -align;
        nextFree = at + size;
        return at;
    }

    long vaddr(long iova) {
        return ramVaddr + (iova - ramIova);
    }

    /** Puts one chain of buffers (readable ones first) on queue q and notifies it. */
    void add(int q, long[] buffers, int[] lengths, boolean[] writable) {
        long[] vq = queues[q];
        int size = (int) vq[0];
        int head = (int) vq[4] % size;
        for (int i = 0; i < buffers.length; i++) {
            int index = (head + i) % size;
            long d = vaddr(vq[1]) + 16L * index;
            vm.write(d, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(0, buffers[i]).putInt(8, lengths[i])
                    .putShort(12, (short) ((i + 1 < buffers.length ? 1 : 0) | (writable[i] ? 2 : 0)))
                    .putShort(14, (short) ((index + 1) % size)));
        }
        vq[4] += buffers.length;
        int availIdx = vm.getShort(vaddr(vq[2]) + 2);
        vm.putShort(vaddr(vq[2]) + 4 + 2L * (availIdx % size), head);
        vm.putShort(vaddr(vq[2]) + 2, availIdx + 1);
        selectQueue(q);
        write(notify + notifyMultiplier * (int) read(common + 0x1e, 2), 2, q);
    }

    void selectQueue(int q) {
        write(common + 0x16, 2, q);
    }

    int usedIdx(int q) {
        return vm.getShort(vaddr(queues[q][3]) + 2);
    }

    /** The length the device wrote for used entry {@code i} of queue q. */
    int usedLen(int q, int i) {
        return vm.getInt(vaddr(queues[q][3]) + 4 + 8L * (i % (int) queues[q][0]) + 4);
    }
}
