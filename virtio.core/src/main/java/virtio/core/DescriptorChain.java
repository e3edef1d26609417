package virtio.core;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/**
 * One available descriptor chain as the device sees it: readable segments first, then
 * writable ones, every address checked against guest memory when the chain was popped. A
 * {@link Virtqueue} fills the same object for each pop, so the notify path allocates nothing.
 */
public final class DescriptorChain {
    private final long[] addr;
    private final int[] len;
    private final boolean[] writable;
    private int count;
    private int head;
    private VmAddressSpace memory;

    DescriptorChain(int capacity) {
        addr = new long[capacity];
        len = new int[capacity];
        writable = new boolean[capacity];
    }

    void reset(VmAddressSpace memory, int head) {
        this.memory = memory;
        this.head = head;
        this.count = 0;
    }

    void add(long a, int l, boolean w) {
        if (count == addr.length) {
            throw new ErrnoException(Errno.EINVAL, "descriptor chain from head " + head + " is longer than "
                    + addr.length + " (a loop?)");
        }
        if (!w && count > 0 && writable[count - 1]) {
            throw new ErrnoException(Errno.EINVAL, "readable descriptor after a writable one in chain " + head);
        }
        if (!memory.contains(a, Integer.toUnsignedLong(l))) {
            throw new ErrnoException(Errno.EFAULT, "descriptor 0x" + Long.toHexString(a) + "+" + Integer.toUnsignedString(l)
                    + " of chain " + head + " is outside guest memory");
        }
        addr[count] = a;
        len[count] = l;
        writable[count] = w;
        count++;
    }

    /** The head descriptor's index, which goes back in the used ring. */
    public int head() {
        return head;
    }

    public int segments() {
        return count;
    }

    public long address(int i) {
        return addr[i];
    }

    public int length(int i) {
        return len[i];
    }

    public boolean isWritable(int i) {
        return writable[i];
    }

    public int readableLength() {
        int n = 0;
        for (int i = 0; i < count && !writable[i]; i++) {
            n += len[i];
        }
        return n;
    }

    public int writableLength() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (writable[i]) {
                n += len[i];
            }
        }
        return n;
    }

    /** Gathers readable bytes into {@code dst} (up to its remaining space); returns how many. */
    public int read(ByteBuffer dst) {
        int total = 0;
        for (int i = 0; i < count && !writable[i] && dst.hasRemaining(); i++) {
            int n = Math.min(len[i], dst.remaining());
            int limit = dst.limit();
            dst.limit(dst.position() + n);
            memory.read(addr[i], dst);
            dst.limit(limit);
            total += n;
        }
        return total;
    }

    /** Scatters {@code src} into the writable segments; returns how many bytes were written. */
    public int write(ByteBuffer src) {
        int total = 0;
        for (int i = 0; i < count && src.hasRemaining(); i++) {
            if (!writable[i]) {
                continue;
            }
            int n = Math.min(len[i], src.remaining());
            int limit = src.limit();
            src.limit(src.position() + n);
            memory.write(addr[i], src);
            src.limit(limit);
            total += n;
        }
        return total;
    }
}
