package virtio.core.internal;

import java.nio.ByteBuffer;
import java.util.List;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;
import virtio.core.DescriptorChain;
import virtio.core.GuestVirtqueue;
import virtio.core.Virtqueue;

/**
 * Jazzer on both sides of a split ring: the device parsing an available ring and descriptor
 * table the driver wrote, and the driver parsing a used ring the device wrote. Whatever the
 * other side put there, each either works or fails with an errno. (Jazzer fuzzes one test per
 * run, so both sides are one test.)
 */
class RingFuzzTest {
    static final long BASE = 0x10000;

    /** The entry point of tools/fuzz (Jazzer's own driver, run for millions of inputs). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        new RingFuzzTest().bothSidesOfTheRing(data);
    }

    @FuzzTest(maxDuration = "15s")
    void bothSidesOfTheRing(FuzzedDataProvider data) {
        if (data.consumeBoolean()) {
            deviceSide(data);
        } else {
            driverSide(data);
        }
    }

    private static void deviceSide(FuzzedDataProvider data) {
        VmAddressSpace memory = new VmAddressSpace("fuzz");
        memory.allocate(BASE, 0x4000);
        int size = 1 << data.consumeInt(0, 6);
        memory.write(BASE, ByteBuffer.wrap(data.consumeBytes(0x4000)));
        try {
            Virtqueue vq = new Virtqueue(memory, size, BASE, BASE + 0x1000, BASE + 0x2000);
            for (int i = 0; i < 3 * size; i++) {
                DescriptorChain chain = vq.pop();
                if (chain == null) {
                    break;
                }
                chain.read(ByteBuffer.allocate(64));
                chain.write(ByteBuffer.allocate(64));
                vq.push(chain, chain.writableLength());
            }
        } catch (ErrnoException expected) {
            // the only way to fail
        }
    }

    private static void driverSide(FuzzedDataProvider data) {
        VmAddressSpace memory = new VmAddressSpace("fuzz");
        GuestMemoryAllocator allocator = new GuestMemoryAllocator(memory, BASE, 0x20_0000);
        int size = 1 << data.consumeInt(0, 4);
        GuestVirtqueueImpl queue = new GuestVirtqueueImpl(null, memory, allocator, 0, size);
        int buffers = data.consumeInt(0, size / 2);
        for (int i = 0; i < buffers; i++) {
            queue.add(List.of(ByteBuffer.allocate(8)), List.of(data.consumeInt(1, 64)), i);
        }
        memory.write(queue.deviceArea(), ByteBuffer.wrap(data.consumeBytes(6 + 8 * size)));
        try {
            for (int i = 0; i < 2 * size; i++) {
                GuestVirtqueue.UsedBuffer used = queue.poll();
                if (used == null) {
                    break;
                }
            }
        } catch (ErrnoException expected) {
            // the only way to fail
        }
    }
}
