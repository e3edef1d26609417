package virtio.uvirtio.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

import vfio.core.VmAddressSpace;
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
 */
final class UvirtioDevice extends VirtioDeviceBase {
    static final int QUEUES = 8;
    static final int QUEUE_NUM_MAX = Virtio.MAX_QUEUE_SIZE;

    private final String name;
    private final Expect[] expects;
    private final String[] queueNames = new String[QUEUES];
    /** Scratch for comparing rule bytes; rules are at most 64 KiB. */
    private final ByteBuffer scratch = ByteBuffer.allocate(0x10000);
    private long matched;

    UvirtioDevice(String name, UvirtioSetup setup, UvirtioExpect expect) {
        super(setup.id(), 0, setup.features(), QUEUES, QUEUE_NUM_MAX, setup.config());
        this.name = name;
        this.expects = compile(expect);
    }

    /** The expectations with their rule bytes in buffers made once, so matching allocates nothing. */
    private record Expect(String vqName, Block[] blocks) {
    }

    /**
     * A compiled block: its rules' offsets and data, and for data of 2, 4 or 8 bytes the same
     * bytes as a little-endian number, compared with one read of guest memory.
     */
    private record Block(int len, int flags, int[] offsets, ByteBuffer[] data, long[] words) {
    }

    private static Expect[] compile(UvirtioExpect expect) {
        Expect[] compiled = new Expect[expect.expects().size()];
        for (int i = 0; i < compiled.length; i++) {
            UvirtioExpect.Expect e = expect.expects().get(i);
            Block[] blocks = new Block[e.blocks().size()];
            for (int j = 0; j < blocks.length; j++) {
                UvirtioExpect.Block b = e.blocks().get(j);
                int[] offsets = new int[b.rules().size()];
                ByteBuffer[] data = new ByteBuffer[offsets.length];
                long[] words = new long[offsets.length];
                for (int k = 0; k < offsets.length; k++) {
                    offsets[k] = b.rules().get(k).off();
                    byte[] bytes = b.rules().get(k).data();
                    data[k] = ByteBuffer.wrap(bytes);
                    ByteBuffer le = ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    words[k] = switch (bytes.length) {
                        case 2 -> Short.toUnsignedInt(le.getShort(0));
                        case 4 -> le.getInt(0);
                        case 8 -> le.getLong(0);
                        default -> 0;
                    };
                }
                blocks[j] = new Block(b.len(), b.flags(), offsets, data, words);
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
        }
    }

    @Override
    protected void onKick(int index, Virtqueue vq) {
        String queue = queueNames[index];
        for (DescriptorChain chain = vq.pop(); chain != null; chain = vq.pop()) {
            vq.push(chain, queue == null ? 0 : reply(queue, chain));
        }
        notifyUsed(index);
    }

    /** Matches the chain against the expectations of {@code queue}; returns the bytes written. */
    private int reply(String queue, DescriptorChain chain) {
        VmAddressSpace memory = guestMemory();
        for (Expect e : expects) {
            if (!e.vqName().equals(queue)) {
                continue;
            }
            int segment = 0;
            for (Block block : e.blocks()) {
                if (segment >= chain.segments()) {
                    break;
                }
                int flags = (chain.isWritable(segment) ? Virtio.VRING_DESC_F_WRITE : 0)
                        | (segment + 1 < chain.segments() ? Virtio.VRING_DESC_F_NEXT : 0);
                if (block.len() != chain.length(segment) || block.flags() != flags) {
                    break;
                }
                long address = chain.address(segment);
                if (chain.isWritable(segment)) {
                    if (block.offsets().length > 0) {
                        for (int k = 0; k < block.offsets().length; k++) {
                            memory.write(address + block.offsets()[k], block.data()[k].clear());
                        }
                        matched++;
                        return block.len();
                    }
                } else if (!rulesMatch(memory, address, block)) {
                    break;
                }
                segment++;
            }
        }
        return 0;
    }

    private boolean rulesMatch(VmAddressSpace memory, long address, Block block) {
        for (int k = 0; k < block.offsets().length; k++) {
            byte[] want = block.data()[k].array();
            long at = address + block.offsets()[k];
            boolean equal = switch (want.length) {
                case 2 -> memory.getShort(at) == block.words()[k];
                case 4 -> memory.getInt(at) == (int) block.words()[k];
                case 8 -> memory.getLong(at) == block.words()[k];
                default -> {
                    scratch.clear().limit(want.length);
                    memory.read(at, scratch);
                    yield Arrays.equals(scratch.array(), 0, want.length, want, 0, want.length);
                }
            };
            if (!equal) {
                return false;
            }
        }
        return true;
    }

    /** Replies given so far (for tests and the shell). */
    synchronized long replies() {
        return matched;
    }
}
