package virtio.uvirtio.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
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

import vfio.core.VmAddressSpace;
import virtio.core.Virtio;
import virtio.uvirtio.UvirtioExpect;
import virtio.uvirtio.UvirtioSetup;

/**
 * Descriptor chains through a uvirtio queue notify with expect matching (the uvirtio-vga
 * GET_DISPLAY_INFO request and its prepared reply), against a plain copy of the same bytes
 * (read the 4 compared request bytes, write the 24 reply bytes) in the same run. Guest memory is
 * either on the Java heap ({@code VmAddressSpace.allocate}: an in-JVM VMM, the tests) or a direct
 * buffer attached as a vfio-user client's mapped memory is ({@code VmAddressSpace.attach}).
 * Three forks: the JIT's inlining of the notify differs from fork to fork by a few percent.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(3)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class UvirtioNotifyBench {
    static final long BASE = 0x10000;
    static final long DESC = BASE;
    static final long AVAIL = BASE + 0x1000;
    static final long USED = BASE + 0x4000;
    static final long REQUEST = BASE + 0x8000;
    static final long REPLY = BASE + 0x9000;
    static final int SIZE = 256;
    /** A second queue, without a name: its chains go back unanswered (the ring alone). */
    static final long DESC1 = BASE + 0xA000;
    static final long AVAIL1 = BASE + 0xB000;
    static final long USED1 = BASE + 0xC000;

    @Param({ "heap", "direct" })
    public String memory;

    VmAddressSpace guest;
    /** The driver's side of the rings, as a guest kernel has it: its own memory, written directly. */
    ByteBuffer availIdx16;
    ByteBuffer usedIdx16;
    ByteBuffer availIdx16Unnamed;
    ByteBuffer usedIdx16Unnamed;
    int availIdxUnnamed;
    UvirtioDevice device;
    int availIdx;
    final ByteBuffer four = ByteBuffer.allocate(4);
    final ByteBuffer mode = ByteBuffer.allocate(24);

    @Setup
    public void setUp() {
        guest = new VmAddressSpace("guest");
        ByteBuffer ram;
        if (memory.equals("direct")) {
            ram = ByteBuffer.allocateDirect(0x10000);
            guest.attach(BASE, ram);
        } else {
            ram = guest.allocate(BASE, 0x10000);
        }
        ram.order(ByteOrder.LITTLE_ENDIAN);
        rawRam = ram.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        availIdx16 = ram.slice((int) (AVAIL + 2 - BASE), 2).order(ByteOrder.LITTLE_ENDIAN);
        usedIdx16 = ram.slice((int) (USED + 2 - BASE), 2).order(ByteOrder.LITTLE_ENDIAN);
        availIdx16Unnamed = ram.slice((int) (AVAIL1 + 2 - BASE), 2).order(ByteOrder.LITTLE_ENDIAN);
        usedIdx16Unnamed = ram.slice((int) (USED1 + 2 - BASE), 2).order(ByteOrder.LITTLE_ENDIAN);
        byte[] modeBytes = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1024).putInt(12, 768)
                .putInt(16, 1).array();
        UvirtioExpect expect = new UvirtioExpect(List.of(new UvirtioExpect.Expect("control", List.of(
                new UvirtioExpect.Block(24, Virtio.VRING_DESC_F_NEXT, List.of(new UvirtioExpect.Rule(0, new byte[] { 0, 1, 0, 0 }))),
                new UvirtioExpect.Block(408, Virtio.VRING_DESC_F_WRITE, List.of(new UvirtioExpect.Rule(24, modeBytes)))))));
        device = new UvirtioDevice("bench", new UvirtioSetup(Virtio.bit(Virtio.F_VERSION_1), new byte[16], false,
                Virtio.ID_GPU), expect);
        device.setGuestMemory(guest);
        device.setVqName(0, "control");
        device.setVqNum(0, SIZE);
        device.setVqAddress(0, DESC, AVAIL, USED);
        device.setVqReady(0, true);
        device.setVqNum(1, SIZE);
        device.setVqAddress(1, DESC1, AVAIL1, USED1);
        device.setVqReady(1, true);
        device.setFeatures(Virtio.bit(Virtio.F_VERSION_1));
        device.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_FEATURES_OK
                | Virtio.STATUS_DRIVER_OK);
        guest.putInt(REQUEST, 0x0100);
        putDesc(0, REQUEST, 24, Virtio.VRING_DESC_F_NEXT, 1);
        putDesc(1, REPLY, 408, Virtio.VRING_DESC_F_WRITE, 0);
        for (int i = 0; i < SIZE; i++) {
            guest.putShort(AVAIL + 4 + 2L * i, 0);
            guest.putShort(AVAIL1 + 4 + 2L * i, 0);
        }
        ByteBuffer twoDescriptors = ByteBuffer.allocate(32);   // the same chain in the unnamed queue's table
        guest.read(DESC, twoDescriptors);
        guest.write(DESC1, twoDescriptors.flip());
    }

    private void putDesc(int index, long addr, int len, int flags, int next) {
        long d = DESC + 16L * index;
        guest.putInt(d, (int) addr);
        guest.putInt(d + 4, (int) (addr >>> 32));
        guest.putInt(d + 8, len);
        guest.putShort(d + 12, flags);
        guest.putShort(d + 14, next);
    }

    /**
     * One chain made available and a notify: pop, match, reply, used ring. The driver's two
     * index accesses are plain stores and loads of its own memory, as in a guest kernel.
     */
    @Benchmark
    public int notifyWithExpectMatching() {
        availIdx = (availIdx + 1) & 0xffff;
        availIdx16.putShort(0, (short) availIdx);
        device.kickVq(0);
        return usedIdx16.getShort(0);
    }

    /** Breakdown: a chain through a queue without expectations (pop, walk, used entry; no matching). */
    @Benchmark
    public int notifyRingOnly() {
        availIdxUnnamed = (availIdxUnnamed + 1) & 0xffff;
        availIdx16Unnamed.putShort(0, (short) availIdxUnnamed);
        device.kickVq(1);
        return usedIdx16Unnamed.getShort(0);
    }

    /** Breakdown: a notify with nothing made available (the lock and the checks). */
    @Benchmark
    public int notifyNothingAvailable() {
        device.kickVq(0);
        return usedIdx16.getShort(0);
    }

    /** The guest's memory as one buffer, for the breakdown below; its indexes into queue 0's ring. */
    ByteBuffer rawRam;
    int rawLast;
    int rawUsed;

    /**
     * Breakdown: the memory accesses of a notify's ring work alone (available index, head, two
     * descriptors, used entry and index) on one buffer, with none of the checks, chain or kick:
     * what the ring's bytes cost, against which the rest is bookkeeping.
     */
    @Benchmark
    public int ringAccessesAlone() {
        ByteBuffer r = rawRam;
        availIdx = (availIdx + 1) & 0xffff;
        availIdx16.putShort(0, (short) availIdx);
        int idx = r.getShort((int) (AVAIL - BASE) + 2) & 0xffff;
        int sum = 0;
        while (rawLast != idx) {
            int head = r.getShort((int) (AVAIL - BASE) + 4 + 2 * (rawLast & (SIZE - 1))) & 0xffff;
            rawLast = (rawLast + 1) & 0xffff;
            int d = (int) (DESC - BASE) + 16 * head;
            long a0 = r.getLong(d);
            long l0 = r.getLong(d + 8);
            int next = (int) (l0 >>> 48);
            int d1 = (int) (DESC - BASE) + 16 * next;
            long a1 = r.getLong(d1);
            long l1 = r.getLong(d1 + 8);
            sum += (int) a0 + (int) a1 + (int) l1;
            int slot = (int) (USED - BASE) + 4 + 8 * (rawUsed & (SIZE - 1));
            rawUsed = (rawUsed + 1) & 0xffff;
            r.putLong(slot, (long) 408 << 32 | head);
            r.putShort((int) (USED - BASE) + 2, (short) rawUsed);
        }
        return usedIdx16.getShort(0) + sum;
    }

    /** The same bytes moved without a ring: the compared request bytes in, the reply out. */
    @Benchmark
    public int baselinePlainCopy() {
        guest.read(REQUEST, four.clear());
        guest.write(REPLY + 24, mode.clear());
        return four.get(1);
    }
}
