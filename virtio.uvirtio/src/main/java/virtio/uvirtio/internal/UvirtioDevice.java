package virtio.uvirtio.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLongArray;

import virtio.core.DescriptorChain;
import virtio.core.Virtio;
import virtio.core.VirtioDeviceBase;
import virtio.core.Virtqueue;
import virtio.uvirtio.UvirtioExpect;
import virtio.uvirtio.UvirtioSetup;

/**
 * A device created through /dev/uvirtio: its features, id and config come from the setup;
 * each chain made available on a queue is matched against the expectations for that queue's
 * name (drivers/virtio/uvirtio.c's process_vq): descriptor by descriptor, a block matches a
 * descriptor of the same length and flags, readable blocks compare their rules' bytes, and the
 * first writable block whose rules apply fills the reply. Every chain goes to the used ring,
 * with the length of the reply written (0 if none), and the queue's callback runs.
 *
 * <p>Its queues are independent (a kick reads only the expectations, fixed at creation, and its
 * own queue's name, scratch and count), so kicks run under their queue's lock, not the monitor.
 */
final class UvirtioDevice extends VirtioDeviceBase {
    static final int QUEUES = 8;
    static final int QUEUE_NUM_MAX = Virtio.MAX_QUEUE_SIZE;

    private final String name;
    private final Expect[] expects;
    /** Queue names, set before a queue is made ready (whose lock publishes them to kicks). */
    private final String[] queueNames = new String[QUEUES];
    /** Per queue, the expectations for its name (resolved when the name is set), or null without a name. */
    private final Expect[][] queueExpects = new Expect[QUEUES][];
    /** Per queue: scratch for comparing longer rules piecewise, and replies given (written under its lock). */
    private final ByteBuffer[] scratch = new ByteBuffer[QUEUES];
    private final AtomicLongArray matched = new AtomicLongArray(QUEUES);
    private static final int SCRATCH = 256;

    UvirtioDevice(String name, UvirtioSetup setup, UvirtioExpect expect) {
        super(setup.id(), 0, setup.features(), QUEUES, QUEUE_NUM_MAX, setup.config(), true);
        this.name = name;
        for (int i = 0; i < QUEUES; i++) {
            scratch[i] = ByteBuffer.allocate(SCRATCH);
        }
        this.expects = compile(expect);
    }

    /** The expectations with their rule bytes in buffers made once, so matching allocates nothing. */
    private record Expect(String vqName, Block[] blocks) {
    }

    /**
     * A compiled block: its rules' offsets and data, and for data of 2, 4 or 8 bytes the same
     * bytes as a little-endian number, compared with one read of guest memory.
     */
    private record Block(int len, int flags, int[] offsets, int[] sizes, byte[][] data, long[] words) {
    }

    private static Expect[] compile(UvirtioExpect expect) {
        Expect[] compiled = new Expect[expect.expects().size()];
        for (int i = 0; i < compiled.length; i++) {
            UvirtioExpect.Expect e = expect.expects().get(i);
            Block[] blocks = new Block[e.blocks().size()];
            for (int j = 0; j < blocks.length; j++) {
                UvirtioExpect.Block b = e.blocks().get(j);
                int[] offsets = new int[b.rules().size()];
                byte[][] data = new byte[offsets.length][];
                int[] sizes = new int[offsets.length];
                long[] words = new long[offsets.length];
                for (int k = 0; k < offsets.length; k++) {
                    offsets[k] = b.rules().get(k).off();
                    byte[] bytes = b.rules().get(k).data();
                    data[k] = bytes;
                    sizes[k] = bytes.length;
                    ByteBuffer le = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    words[k] = switch (bytes.length) {
                        case 2 -> Short.toUnsignedInt(le.getShort(0));
                        case 4 -> le.getInt(0);
                        case 8 -> le.getLong(0);
                        default -> 0;
                    };
                }
                blocks[j] = new Block(b.len(), b.flags(), offsets, sizes, data, words);
            }
            compiled[i] = new Expect(e.vqName(), blocks);
        }
        return compiled;
    }

    String name() {
        return name;
    }

    @Override
    public synchronized void setVqName(int index, String queueName) {
        if (index >= 0 && index < QUEUES) {
            queueNames[index] = queueName;
            queueExpects[index] = queueName == null ? null
                    : Arrays.stream(expects).filter(e -> e.vqName().equals(queueName)).toArray(Expect[]::new);
        }
    }

    @Override
    protected void onKick(int index, Virtqueue vq) {
        Expect[] forQueue = queueExpects[index];
        for (DescriptorChain chain = vq.pop(); chain != null; chain = vq.pop()) {
            vq.push(chain, forQueue == null ? 0 : reply(index, forQueue, chain));
        }
        notifyUsed(index);
    }

    /** Matches the chain against the expectations of its queue; returns the bytes written. */
    private int reply(int index, Expect[] forQueue, DescriptorChain chain) {
        for (Expect e : forQueue) {
            int segment = 0;
            for (Block block : e.blocks()) {
                if (segment >= chain.segments()) {
                    break;
                }
                boolean writable = chain.isWritable(segment);
                int flags = (writable ? Virtio.VRING_DESC_F_WRITE : 0)
                        | (segment + 1 < chain.segments() ? Virtio.VRING_DESC_F_NEXT : 0);
                if (block.len() != chain.length(segment) || block.flags() != flags) {
                    break;
                }
                if (writable) {
                    int[] offsets = block.offsets();
                    if (offsets.length > 0) {
                        for (int k = 0; k < offsets.length; k++) {
                            chain.write(segment, offsets[k], block.data()[k]);
                        }
                        matched.setOpaque(index, matched.getPlain(index) + 1);
                        return block.len();
                    }
                } else if (!rulesMatch(chain, segment, block, scratch[index])) {
                    break;
                }
                segment++;
            }
        }
        return 0;
    }

    private static boolean rulesMatch(DescriptorChain chain, int segment, Block block, ByteBuffer scratch) {
        int[] offsets = block.offsets();
        int[] sizes = block.sizes();
        long[] words = block.words();
        for (int k = 0; k < offsets.length; k++) {
            int at = offsets[k];
            boolean equal = switch (sizes[k]) {
                case 2 -> chain.getShort(segment, at) == words[k];
                case 4 -> chain.getInt(segment, at) == (int) words[k];
                case 8 -> chain.getLong(segment, at) == words[k];
                default -> bytesEqual(chain, segment, at, block.data()[k], scratch);
            };
            if (!equal) {
                return false;
            }
        }
        return true;
    }

    /** Whether the segment holds {@code want} at {@code at}, read a scratch buffer at a time. */
    private static boolean bytesEqual(DescriptorChain chain, int segment, int at, byte[] want, ByteBuffer scratch) {
        for (int done = 0; done < want.length; done += SCRATCH) {
            int n = Math.min(SCRATCH, want.length - done);
            scratch.clear().limit(n);
            chain.read(segment, at + done, scratch);
            if (!Arrays.equals(scratch.array(), 0, n, want, done, done + n)) {
                return false;
            }
        }
        return true;
    }

    /** Replies given so far (for tests and the shell). */
    long replies() {
        long n = 0;
        for (int i = 0; i < QUEUES; i++) {
            n += matched.getOpaque(i);
        }
        return n;
    }
}
