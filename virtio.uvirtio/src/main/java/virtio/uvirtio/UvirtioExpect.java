package virtio.uvirtio;

import java.util.List;

/**
 * {@code struct uvirtio_expect}: up to 8 expectations, each for the queue of a name, each a
 * sequence of up to 8 blocks matched against the descriptors of a chain.
 */
public record UvirtioExpect(List<Expect> expects) {
    public UvirtioExpect {
        expects = List.copyOf(expects);
    }

    /** The blocks expected on the queue named {@code vqName} (at most 63 bytes of UTF-8). */
    public record Expect(String vqName, List<Block> blocks) {
        public Expect {
            blocks = List.copyOf(blocks);
        }
    }

    /**
     * {@code struct uvirtio_block}: matches a descriptor of exactly {@code len} bytes and
     * {@code flags} (NEXT, WRITE as in the descriptor). In a readable block the rules compare
     * bytes; in a writable one they fill the reply.
     */
    public record Block(int len, int flags, List<Rule> rules) {
        public Block {
            rules = List.copyOf(rules);
        }
    }

    /** A rule: {@code data} at offset {@code off} of the block. */
    public record Rule(int off, byte[] data) {
        public Rule {
            data = data.clone();
        }

        @Override
        public byte[] data() {
            return data.clone();
        }
    }
}
