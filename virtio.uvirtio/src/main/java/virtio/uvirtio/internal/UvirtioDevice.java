package virtio.uvirtio.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
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
 * first writable block with rules fills the reply. Every chain goes to the used ring,
 * with the length of the reply written (0 if none), and the queue's callback runs.
 *
 * <p>Its queues are independent (a kick reads only the expectations, fixed at creation, and its
 * own queue's matcher, scratch and count), so kicks run under their queue's lock, not the monitor.
 */
final class UvirtioDevice extends VirtioDeviceBase {
    static final int QUEUES = 8;
    static final int QUEUE_NUM_MAX = Virtio.MAX_QUEUE_SIZE;

    private final String name;
    private final UvirtioExpect expect;
    /**
     * Per queue, the expectations for its name, made when the name is set (before the queue is made
     * ready, whose lock publishes them to kicks), or null without a name.
     */
    private final Matcher[] matchers = new Matcher[QUEUES];
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
        this.expect = expect;
    }

    /**
     * The expectations for one queue name, compiled into linked nodes of final fields: each
     * {@link Step} is a block (the descriptor's length and flags, its rules), ending at the
     * expectation's reply block, the first writable block with rules. Whether a block compares or
     * replies is decided here, so a match follows a few references and compares numbers, with no
     * array bounds to check (the same expectations as flat arrays made the notify slower).
     */
    private record Matcher(Step first, Matcher next) {
        static Matcher of(List<UvirtioExpect.Expect> forQueue) {
            Matcher m = null;
            for (int e = forQueue.size() - 1; e >= 0; e--) {
                m = new Matcher(Step.of(forQueue.get(e).blocks(), 0), m);
            }
            return m;
        }
    }

    /** A block: a readable one compares its rules, a writable one with rules is the reply (the last step). */
    private record Step(int len, int flags, boolean reply, Rule rules, Step next) {
        static Step of(List<UvirtioExpect.Block> blocks, int j) {
            if (j == blocks.size()) {
                return null;
            }
            UvirtioExpect.Block b = blocks.get(j);
            boolean writable = (b.flags() & Virtio.VRING_DESC_F_WRITE) != 0;
            boolean reply = writable && !b.rules().isEmpty();
            return new Step(b.len(), b.flags(), reply, writable && !reply ? null : Rule.of(b.rules(), 0),
                    reply ? null : Step.of(blocks, j + 1));
        }
    }

    /** A rule; one of 2, 4 or 8 bytes also keeps its bytes as a little-endian number, compared with one read. */
    private record Rule(int off, int size, long word, byte[] data, Rule next) {
        static Rule of(List<UvirtioExpect.Rule> rules, int k) {
            if (k == rules.size()) {
                return null;
            }
            byte[] bytes = rules.get(k).data();
            ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            long word = switch (bytes.length) {
                case 2 -> Short.toUnsignedInt(le.getShort(0));
                case 4 -> le.getInt(0);
                case 8 -> le.getLong(0);
                default -> 0;
            };
            return new Rule(rules.get(k).off(), bytes.length, word, bytes, Rule.of(rules, k + 1));
        }
    }

    String name() {
        return name;
    }

    @Override
    public synchronized void setVqName(int index, String queueName) {
        if (index >= 0 && index < QUEUES) {
            matchers[index] = queueName == null ? null
                    : Matcher.of(expect.expects().stream().filter(e -> e.vqName().equals(queueName)).toList());
        }
    }

    @Override
    protected void onKick(int index, Virtqueue vq) {
        Matcher matcher = matchers[index];
        // the chains available at the kick, as uvirtio_notify serves them: a chain made available
        // later comes with a kick of its own
        int n = vq.available();
        if (n == 0) {
            return;
        }
        int replied = 0;
        for (int i = 0; i < n; i++) {
            DescriptorChain chain = vq.next();
            int written = matcher == null ? 0 : reply(matcher, chain, scratch[index]);
            vq.push(chain, written);
            if (written != 0) {
                replied++;   // a reply block has a length: its rules lie in it
            }
        }
        if (replied != 0) {
            matched.setOpaque(index, matched.getPlain(index) + replied);
        }
        notifyUsed(index);
    }

    /**
     * Matches the chain against the expectations of its queue, as process_vq and find_match do:
     * block {@code j} against descriptor {@code j}, same length and flags; a readable block's rules
     * must all compare equal, the first writable block with rules writes them. Returns the bytes
     * written.
     *
     * <p>One method, rules and longer comparisons included: at this size the JIT compiles it on its
     * own rather than into the kick, whose ring work then keeps its values in registers (measured:
     * the notify 7% faster than with the match inlined, guest memory on the heap or direct).
     */
    private static int reply(Matcher m, DescriptorChain chain, ByteBuffer scratch) {
        int segments = chain.segments();
        expectations:
        for (; m != null; m = m.next()) {
            int segment = 0;
            for (Step step = m.first(); step != null; step = step.next(), segment++) {
                if (segment == segments || chain.length(segment) != step.len() || chain.flags(segment) != step.flags()) {
                    continue expectations;
                }
                if (step.reply()) {
                    for (Rule r = step.rules(); r != null; r = r.next()) {
                        chain.write(segment, r.off(), r.data());
                    }
                    return step.len();
                }
                for (Rule r = step.rules(); r != null; r = r.next()) {
                    int at = r.off();
                    boolean equal = switch (r.size()) {
                        case 2 -> chain.getShort(segment, at) == r.word();
                        case 4 -> chain.getInt(segment, at) == (int) r.word();
                        case 8 -> chain.getLong(segment, at) == r.word();
                        default -> {
                            // compared a scratch buffer at a time
                            byte[] want = r.data();
                            boolean same = true;
                            for (int done = 0; same && done < want.length; done += SCRATCH) {
                                int n = Math.min(SCRATCH, want.length - done);
                                scratch.clear().limit(n);
                                chain.read(segment, at + done, scratch);
                                same = Arrays.equals(scratch.array(), 0, n, want, done, done + n);
                            }
                            yield same;
                        }
                    };
                    if (!equal) {
                        continue expectations;
                    }
                }
            }
        }
        return 0;
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
