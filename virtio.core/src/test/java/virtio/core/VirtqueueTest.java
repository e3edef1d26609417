package virtio.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/** The split ring as laid out in virtio 1.1 §2.6, written by hand into guest memory. */
class VirtqueueTest {
    static final long BASE = 0x10000;
    static final int SIZE = 8;
    static final long DESC = BASE;
    static final long AVAIL = BASE + 0x1000;
    static final long USED = BASE + 0x2000;
    static final long DATA = BASE + 0x4000;

    final VmAddressSpace memory = new VmAddressSpace("guest");

    VirtqueueTest() {
        memory.allocate(BASE, 0x10000);
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    void desc(long table, int index, long addr, int len, int flags, int next) {
        long d = table + 16L * index;
        memory.putInt(d, (int) addr);
        memory.putInt(d + 4, (int) (addr >>> 32));
        memory.putInt(d + 8, len);
        memory.putShort(d + 12, flags);
        memory.putShort(d + 14, next);
    }

    /** Puts {@code head} in the next available slot and publishes it. */
    void offer(int head) {
        int idx = memory.getShort(AVAIL + 2);
        memory.putShort(AVAIL + 4 + 2L * (idx % SIZE), head);
        memory.putShort(AVAIL + 2, (idx + 1) & 0xffff);
    }

    Virtqueue queue() {
        return new Virtqueue(memory, SIZE, DESC, AVAIL, USED);
    }

    @Test
    void aChainOfReadableThenWritableSegmentsAndItsUsedEntry() {
        memory.write(DATA, ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
        desc(DESC, 3, DATA, 5, Virtio.VRING_DESC_F_NEXT, 5);
        desc(DESC, 5, DATA + 0x100, 16, Virtio.VRING_DESC_F_WRITE, 0);
        offer(3);
        Virtqueue vq = queue();
        assertThat(vq.hasAvailable()).isTrue();
        DescriptorChain chain = vq.pop();
        assertThat(chain.head()).isEqualTo(3);
        assertThat(chain.segments()).isEqualTo(2);
        assertThat(chain.readableLength()).isEqualTo(5);
        assertThat(chain.writableLength()).isEqualTo(16);
        ByteBuffer in = ByteBuffer.allocate(5);
        chain.read(in);
        assertThat(new String(in.array(), StandardCharsets.US_ASCII)).isEqualTo("hello");
        assertThat(chain.write(ByteBuffer.wrap(new byte[] { 1, 2, 3 }))).isEqualTo(3);
        vq.push(chain, 3);
        assertThat(memory.getShort(USED + 2)).as("used idx").isEqualTo(1);
        assertThat(memory.getInt(USED + 4)).as("used id").isEqualTo(3);
        assertThat(memory.getInt(USED + 8)).as("used len").isEqualTo(3);
        assertThat(vq.pop()).isNull();
    }

    @Test
    void aBatchIsTheChainsAvailableWhenCounted() {
        desc(DESC, 1, DATA, 4, Virtio.VRING_DESC_F_WRITE, 0);
        desc(DESC, 2, DATA + 0x100, 4, Virtio.VRING_DESC_F_WRITE, 0);
        Virtqueue vq = queue();
        assertThat(vq.available()).isZero();
        assertThat(vq.next()).isNull();
        offer(1);
        offer(2);
        assertThat(vq.available()).isEqualTo(2);
        offer(1);
        assertThat(vq.next().head()).isEqualTo(1);
        DescriptorChain second = vq.next();
        assertThat(second.head()).isEqualTo(2);
        assertThat(second.flags(0)).isEqualTo(Virtio.VRING_DESC_F_WRITE);
        assertThat(vq.next()).as("made available after the count: the next batch's").isNull();
        assertThat(vq.available()).isEqualTo(1);
        assertThat(vq.pop().head()).isEqualTo(1);
        memory.putShort(AVAIL + 2, vq.lastAvail() + SIZE + 1);
        assertErrno(Errno.EINVAL, vq::available);
        assertErrno(Errno.EINVAL, () -> second.length(2));
    }

    @Test
    void theRingsAreReachedAgainAfterTheirMemoryIsUnmappedAndMappedAgain() {
        desc(DESC, 1, DATA, 4, 0, 0);
        offer(1);
        Virtqueue vq = queue();
        DescriptorChain first = vq.pop();
        assertThat(first.head()).isEqualTo(1);
        vq.push(first, 0);
        memory.free(BASE);
        assertErrno(Errno.EFAULT, vq::pop);   // the rings' memory is gone: no old view reaches it
        memory.allocate(BASE, 0x10000);         // fresh memory at the same addresses
        desc(DESC, 2, DATA, 8, 0, 0);
        memory.putShort(AVAIL + 4 + 2L * 1, 2);
        memory.putShort(AVAIL + 2, 2);
        DescriptorChain second = vq.pop();
        assertThat(second.head()).isEqualTo(2);
        assertThat(second.length(0)).isEqualTo(8);
        vq.push(second, 5);
        assertThat(memory.getShort(USED + 2)).as("the used index, in the new memory").isEqualTo(2);
        assertThat(memory.getInt(USED + 4 + 8 + 4)).isEqualTo(5);
    }

    @Test
    void ringsSplitOverTwoRegionsAreReachedThroughTheAddressSpace() {
        long split = BASE + 0x10000;   // the used ring in a second region, right after the first
        memory.allocate(split, 0x1000);
        desc(DESC, 1, DATA, 4, 0, 0);
        offer(1);
        Virtqueue vq = new Virtqueue(memory, SIZE, DESC, AVAIL, split);
        assertThat(vq.available()).isEqualTo(1);
        DescriptorChain chain = vq.next();
        assertThat(chain.head()).isEqualTo(1);
        vq.push(chain, 3);
        assertThat(memory.getShort(split + 2)).isEqualTo(1);
        assertThat(memory.getInt(split + 8)).isEqualTo(3);
    }

    /**
     * The rings and buffers in memory the VM attached rather than allocated: a heap buffer that
     * starts inside its array (reached through the array, at its offset) and a direct buffer
     * (reached through the buffer); the same chain reads and writes the same bytes in both.
     */
    @Test
    void ringsInAHeapSliceAndInADirectBuffer() {
        byte[] backing = new byte[0x12000];
        ByteBuffer slice = ByteBuffer.wrap(backing).slice(0x1000, 0x10000);
        ByteBuffer direct = ByteBuffer.allocateDirect(0x10000);
        for (ByteBuffer ram : new ByteBuffer[] { slice, direct }) {
            VmAddressSpace attached = new VmAddressSpace("attached");
            attached.attach(BASE, ram);
            attached.putInt(DATA, 0x04030201);
            attached.putInt(DATA + 4, 0x08070605);
            long d = DESC + 16L * 2;
            attached.putInt(d, (int) DATA);
            attached.putInt(d + 8, 16);
            attached.putShort(d + 12, Virtio.VRING_DESC_F_NEXT);
            attached.putShort(d + 14, 4);
            d = DESC + 16L * 4;
            attached.putInt(d, (int) (DATA + 0x100));
            attached.putInt(d + 8, 8);
            attached.putShort(d + 12, Virtio.VRING_DESC_F_WRITE);
            attached.putShort(AVAIL + 4, 2);
            attached.putShort(AVAIL + 2, 1);
            Virtqueue vq = new Virtqueue(attached, SIZE, DESC, AVAIL, USED);
            assertThat(vq.available()).isEqualTo(1);
            DescriptorChain chain = vq.next();
            assertThat(chain.head()).isEqualTo(2);
            assertThat(chain.getShort(0, 0)).isEqualTo(0x0201);
            assertThat(chain.getInt(0, 1)).isEqualTo(0x05040302);
            assertThat(chain.getLong(0, 0)).isEqualTo(0x0807060504030201L);
            ByteBuffer three = ByteBuffer.allocate(3);
            chain.read(0, 5, three);
            assertThat(three.array()).containsExactly(6, 7, 8);
            chain.write(1, 5, ByteBuffer.wrap(new byte[] { 1, 2, 3 }));
            assertThat(attached.getShort(DATA + 0x106)).isEqualTo(0x0302);
            chain.write(1, 2, new byte[] { 9, 8, 7 });
            assertErrno(Errno.EFAULT, () -> chain.write(1, 6, new byte[] { 1, 2, 3 }));
            vq.push(chain, 5);
            assertThat(attached.getInt(DATA + 0x100)).isEqualTo(0x08090000);
            assertThat(attached.getShort(DATA + 0x104)).isEqualTo(0x0107);
            assertThat(attached.getShort(USED + 2)).isEqualTo(1);
            assertThat(attached.getInt(USED + 4)).isEqualTo(2);
            assertThat(attached.getInt(USED + 8)).isEqualTo(5);
        }
        assertThat(backing[0x1000 + (int) (USED + 4 - BASE)]).as("the slice's bytes are at its offset").isEqualTo((byte) 2);
        assertThat(java.util.Arrays.equals(backing, 0, 0x1000, new byte[0x1000], 0, 0x1000)).as("nothing before the slice").isTrue();
    }

    @Test
    void indicesWrapAt16Bits() {
        memory.putShort(USED + 2, 0xfffe);
        memory.putShort(AVAIL + 2, 0xfffe);
        desc(DESC, 0, DATA, 1, 0, 0);
        Virtqueue vq = queue();
        for (int i = 0; i < 4; i++) {
            offer(0);
        }
        assertThat(memory.getShort(AVAIL + 2)).isEqualTo(2);
        for (int i = 0; i < 4; i++) {
            vq.push(vq.pop(), 0);
        }
        assertThat(vq.pop()).isNull();
        assertThat(memory.getShort(USED + 2)).isEqualTo(2);
        assertThat(vq.lastAvail()).isEqualTo(2);
    }

    @Test
    void anIndirectTable() {
        long table = DATA + 0x800;
        desc(table, 0, DATA, 4, Virtio.VRING_DESC_F_NEXT, 1);
        desc(table, 1, DATA + 4, 4, Virtio.VRING_DESC_F_NEXT, 2);
        desc(table, 2, DATA + 0x100, 8, Virtio.VRING_DESC_F_WRITE, 0);
        desc(DESC, 0, table, 48, Virtio.VRING_DESC_F_INDIRECT, 0);
        offer(0);
        DescriptorChain chain = queue().pop();
        assertThat(chain.segments()).isEqualTo(3);
        assertThat(chain.readableLength()).isEqualTo(8);
        assertThat(chain.head()).isZero();
    }

    @Test
    void anIndirectTableNeedsTheFeature() {
        long table = DATA + 0x800;
        desc(table, 0, DATA, 4, 0, 0);
        desc(DESC, 0, table, 16, Virtio.VRING_DESC_F_INDIRECT, 0);
        offer(0);
        Virtqueue withoutIndirect = new Virtqueue(memory, SIZE, DESC, AVAIL, USED, false);
        assertErrno(Errno.EINVAL, withoutIndirect::pop);
    }

    @Test
    void malformedRingsAreRefused() {
        Virtqueue vq = queue();
        offer(SIZE);
        assertErrno(Errno.EINVAL, vq::pop);

        desc(DESC, 0, DATA, 4, Virtio.VRING_DESC_F_NEXT, SIZE);
        offer(0);
        assertErrno(Errno.EINVAL, vq::pop);

        desc(DESC, 1, DATA, 4, Virtio.VRING_DESC_F_NEXT, 2);
        desc(DESC, 2, DATA, 4, Virtio.VRING_DESC_F_NEXT, 1);
        offer(1);
        assertErrno(Errno.EINVAL, vq::pop);

        desc(DESC, 3, DATA + 0x100, 4, Virtio.VRING_DESC_F_WRITE | Virtio.VRING_DESC_F_NEXT, 4);
        desc(DESC, 4, DATA, 4, 0, 0);
        offer(3);
        assertErrno(Errno.EINVAL, vq::pop);

        desc(DESC, 5, 0x9000_0000L, 4, 0, 0);
        offer(5);
        assertErrno(Errno.EFAULT, vq::pop);

        long table = DATA + 0x800;
        desc(table, 0, table, 16, Virtio.VRING_DESC_F_INDIRECT, 0);
        desc(DESC, 6, table, 16, Virtio.VRING_DESC_F_INDIRECT, 0);
        offer(6);
        assertErrno(Errno.EINVAL, vq::pop);
        desc(DESC, 6, table, 16, Virtio.VRING_DESC_F_INDIRECT | Virtio.VRING_DESC_F_NEXT, 1);
        offer(6);
        assertErrno(Errno.EINVAL, vq::pop);
        desc(DESC, 6, table, 20, Virtio.VRING_DESC_F_INDIRECT, 0);
        offer(6);
        assertErrno(Errno.EINVAL, vq::pop);
        desc(DESC, 6, table, 0, Virtio.VRING_DESC_F_INDIRECT, 0);
        offer(6);
        assertErrno(Errno.EINVAL, vq::pop);
    }

    @Test
    void anAvailableIndexMoreThanAQueueAheadIsRefused() {
        Virtqueue vq = queue();
        memory.putShort(AVAIL + 2, SIZE + 1);
        assertErrno(Errno.EINVAL, vq::pop);
    }

    @Test
    void queueGeometryIsChecked() {
        assertErrno(Errno.EINVAL, () -> new Virtqueue(memory, 6, DESC, AVAIL, USED));
        assertErrno(Errno.EINVAL, () -> new Virtqueue(memory, 65536, DESC, AVAIL, USED));
        assertErrno(Errno.EINVAL, () -> new Virtqueue(memory, SIZE, DESC + 8, AVAIL, USED));
        assertErrno(Errno.EINVAL, () -> new Virtqueue(memory, SIZE, DESC, AVAIL + 1, USED));
        assertErrno(Errno.EINVAL, () -> new Virtqueue(memory, SIZE, DESC, AVAIL, USED + 2));
        assertErrno(Errno.EFAULT, () -> new Virtqueue(memory, 4096, BASE + 0xf000, AVAIL, USED));
        assertThat(new Virtqueue(memory, 1, DESC, AVAIL, USED).size()).isEqualTo(1);
    }
}
