package virtio.uvirtio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vfio.core.VmAddressSpace;

/**
 * The seed's uapi header (include/uapi/linux/uvirtio.h) byte for byte, and the checks both
 * faces share. Pointers in the structs (config_addr, a block's data) are addresses in the
 * calling process's memory; bad ones answer EFAULT.
 */
public final class UvirtioCodec {
    public static final int UVIRTIO_MAX_CONFIG_LEN = 1024;
    public static final int UVIRTIO_MAX_RULES = 8;
    public static final int UVIRTIO_MAX_BLOCKS = 8;
    public static final int UVIRTIO_MAX_EXPECTS = 8;
    public static final int UVIRTIO_MAX_VQ_NAME = 64;
    /** UVIRTIO_MAX_EXPECT_DATA: rule data of all blocks together. */
    public static final int UVIRTIO_MAX_EXPECT_DATA = 1 << 20;
    /** UVIRTIO_DEV_FLAG_STICK is bit 0 of uvirtio_setup.flags. */
    public static final int UVIRTIO_DEV_FLAG_STICK = 0;
    public static final int UVIRTIO_DEV_FLAG_MAX = 1;
    public static final int VRING_DESC_F_NEXT = 1;
    public static final int VRING_DESC_F_WRITE = 2;

    /*
     * struct uvirtio_setup {
     *     __u64 features;     0
     *     __u64 config_addr;  8
     *     __u16 config_len;  16
     *     __u16 flags;       18
     *     __u32 id;          20
     * };                     24
     */
    public static final int SETUP_FEATURES = 0;
    public static final int SETUP_CONFIG_ADDR = 8;
    public static final int SETUP_CONFIG_LEN = 16;
    public static final int SETUP_FLAGS = 18;
    public static final int SETUP_ID = 20;
    public static final int SETUP_SIZE = 24;

    /*
     * struct uvirtio_block {
     *     __u32 len;                        0
     *     __u16 flags;                      4
     *     __u16 unused;                     6
     *     __u64 data;                       8
     *     struct { __u16 off; __u16 len; } rules[8];  16, 4 each
     * };                                   48
     * struct uvirtio_expect {
     *     struct { char vq_name[64];        0
     *              struct uvirtio_block blocks[8];  64, 48 each
     *     } expects[8];                     448 each
     * };                                   3584
     */
    public static final int BLOCK_LEN = 0;
    public static final int BLOCK_FLAGS = 4;
    public static final int BLOCK_DATA = 8;
    public static final int BLOCK_RULES = 16;
    public static final int RULE_SIZE = 4;
    public static final int BLOCK_SIZE = 48;
    public static final int EXPECT_BLOCKS = 64;
    public static final int EXPECT_SIZE = EXPECT_BLOCKS + UVIRTIO_MAX_BLOCKS * BLOCK_SIZE;
    public static final int EXPECTS_SIZE = UVIRTIO_MAX_EXPECTS * EXPECT_SIZE;

    /** _IOW('V', 1, struct uvirtio_setup). */
    public static final int UV_DEV_CREATE = iow(1, SETUP_SIZE);
    /** _IOW('V', 2, struct uvirtio_expect). */
    public static final int UV_DEV_EXPECT = iow(2, EXPECTS_SIZE);

    private UvirtioCodec() {
    }

    private static int iow(int nr, int size) {
        return (1 << 30) | (size << 16) | ('V' << 8) | nr;
    }

    /** Decodes UV_DEV_CREATE, reading the config from the process's memory. */
    public static UvirtioSetup decodeSetup(ByteBuffer arg, VmAddressSpace process) {
        if (arg == null || arg.remaining() < SETUP_SIZE) {
            throw new ErrnoException(Errno.EFAULT, "uvirtio_setup needs " + SETUP_SIZE + " bytes");
        }
        ByteBuffer b = arg.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = b.position();
        long features = b.getLong(base + SETUP_FEATURES);
        long configAddr = b.getLong(base + SETUP_CONFIG_ADDR);
        int configLen = Short.toUnsignedInt(b.getShort(base + SETUP_CONFIG_LEN));
        int flags = Short.toUnsignedInt(b.getShort(base + SETUP_FLAGS));
        int id = b.getInt(base + SETUP_ID);
        if (configLen == 0 || configAddr == 0 || configLen > UVIRTIO_MAX_CONFIG_LEN) {
            throw new ErrnoException(Errno.EINVAL, "config of " + configLen + " bytes at 0x" + Long.toHexString(configAddr)
                    + ": needs 1.." + UVIRTIO_MAX_CONFIG_LEN + " bytes at a real address");
        }
        checkFlags(flags);
        byte[] config = new byte[configLen];
        process.read(configAddr, ByteBuffer.wrap(config));
        return new UvirtioSetup(features, config, (flags & (1 << UVIRTIO_DEV_FLAG_STICK)) != 0, id);
    }

    private static void checkFlags(int flags) {
        if ((flags & ~((1 << UVIRTIO_DEV_FLAG_MAX) - 1)) != 0) {
            throw new ErrnoException(Errno.EINVAL, "uvirtio_setup.flags 0x" + Integer.toHexString(flags) + ": only STICK");
        }
    }

    /** The checks of the typed face: the same as the bytes get. */
    public static void check(UvirtioSetup setup) {
        int n = setup.config().length;
        if (n == 0 || n > UVIRTIO_MAX_CONFIG_LEN) {
            throw new ErrnoException(Errno.EINVAL, "config of " + n + " bytes: needs 1.." + UVIRTIO_MAX_CONFIG_LEN);
        }
    }

    /**
     * Decodes UV_DEV_EXPECT: expectations up to the first empty queue name, blocks up to the
     * first of length 0, rules up to the first of length 0, each rule's data read from the
     * process at the block's data pointer (rule after rule). Checked as {@link #check(UvirtioExpect)}.
     */
    public static UvirtioExpect decodeExpect(ByteBuffer arg, VmAddressSpace process) {
        if (arg == null || arg.remaining() < EXPECTS_SIZE) {
            throw new ErrnoException(Errno.EFAULT, "uvirtio_expect needs " + EXPECTS_SIZE + " bytes");
        }
        ByteBuffer b = arg.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int base = b.position();
        List<UvirtioExpect.Expect> expects = new ArrayList<>();
        long totalData = 0;
        for (int i = 0; i < UVIRTIO_MAX_EXPECTS; i++) {
            int e = base + i * EXPECT_SIZE;
            String name = name(b, e);
            if (name.isEmpty()) {
                break;
            }
            List<UvirtioExpect.Block> blocks = new ArrayList<>();
            for (int j = 0; j < UVIRTIO_MAX_BLOCKS; j++) {
                int bl = e + EXPECT_BLOCKS + j * BLOCK_SIZE;
                int len = b.getInt(bl + BLOCK_LEN);
                if (len == 0) {
                    break;
                }
                int flags = Short.toUnsignedInt(b.getShort(bl + BLOCK_FLAGS));
                long data = b.getLong(bl + BLOCK_DATA);
                List<UvirtioExpect.Rule> rules = new ArrayList<>();
                long offsetInData = 0;
                for (int k = 0; k < UVIRTIO_MAX_RULES; k++) {
                    int r = bl + BLOCK_RULES + k * RULE_SIZE;
                    int off = Short.toUnsignedInt(b.getShort(r));
                    int ruleLen = Short.toUnsignedInt(b.getShort(r + 2));
                    if (ruleLen == 0) {
                        break;
                    }
                    totalData += ruleLen;
                    if (totalData > UVIRTIO_MAX_EXPECT_DATA) {
                        throw new ErrnoException(Errno.ENOMEM, "expect data over " + UVIRTIO_MAX_EXPECT_DATA + " bytes");
                    }
                    checkRule(off, ruleLen, len, name, j);
                    byte[] bytes = new byte[ruleLen];
                    process.read(data + offsetInData, ByteBuffer.wrap(bytes));
                    offsetInData += ruleLen;
                    rules.add(new UvirtioExpect.Rule(off, bytes));
                }
                blocks.add(new UvirtioExpect.Block(len, flags, rules));
            }
            expects.add(new UvirtioExpect.Expect(name, blocks));
        }
        UvirtioExpect expect = new UvirtioExpect(expects);
        check(expect);
        return expect;
    }

    private static String name(ByteBuffer b, int at) {
        for (int i = 0; i < UVIRTIO_MAX_VQ_NAME; i++) {
            if (b.get(at + i) == 0) {
                byte[] bytes = new byte[i];
                b.get(at, bytes);
                return new String(bytes, StandardCharsets.UTF_8);
            }
        }
        throw new ErrnoException(Errno.EINVAL, "a vq_name is not NUL-terminated within " + UVIRTIO_MAX_VQ_NAME + " bytes");
    }

    private static void checkRule(int off, int len, int blockLen, String vq, int block) {
        if (Integer.toUnsignedLong(off) + len > Integer.toUnsignedLong(blockLen)) {
            throw new ErrnoException(Errno.EINVAL, "rule at " + off + "+" + len + " runs past block " + block + " of "
                    + Integer.toUnsignedString(blockLen) + " bytes on queue '" + vq + "'");
        }
    }

    /** The seed's limits and every rule inside its block, checked before anything is kept. */
    public static void check(UvirtioExpect expect) {
        if (expect.expects().size() > UVIRTIO_MAX_EXPECTS) {
            throw new ErrnoException(Errno.EINVAL, expect.expects().size() + " expects, at most " + UVIRTIO_MAX_EXPECTS);
        }
        long totalData = 0;
        for (UvirtioExpect.Expect e : expect.expects()) {
            byte[] name = e.vqName().getBytes(StandardCharsets.UTF_8);
            if (name.length == 0 || name.length >= UVIRTIO_MAX_VQ_NAME) {
                throw new ErrnoException(Errno.EINVAL, "queue name '" + e.vqName() + "' needs 1.." + (UVIRTIO_MAX_VQ_NAME - 1)
                        + " bytes");
            }
            if (e.blocks().size() > UVIRTIO_MAX_BLOCKS) {
                throw new ErrnoException(Errno.EINVAL, e.blocks().size() + " blocks on '" + e.vqName() + "', at most "
                        + UVIRTIO_MAX_BLOCKS);
            }
            for (int j = 0; j < e.blocks().size(); j++) {
                UvirtioExpect.Block block = e.blocks().get(j);
                if (block.len() == 0) {
                    throw new ErrnoException(Errno.EINVAL, "block " + j + " on '" + e.vqName() + "' has length 0");
                }
                if ((block.flags() & ~(VRING_DESC_F_NEXT | VRING_DESC_F_WRITE)) != 0) {
                    throw new ErrnoException(Errno.EINVAL, "block flags 0x" + Integer.toHexString(block.flags())
                            + ": only NEXT and WRITE");
                }
                if (block.rules().size() > UVIRTIO_MAX_RULES) {
                    throw new ErrnoException(Errno.EINVAL, block.rules().size() + " rules, at most " + UVIRTIO_MAX_RULES);
                }
                for (UvirtioExpect.Rule rule : block.rules()) {
                    int len = rule.data().length;
                    if (len == 0 || len > 0xffff || rule.off() < 0 || rule.off() > 0xffff) {
                        throw new ErrnoException(Errno.EINVAL, "rule at " + rule.off() + " of " + len + " bytes");
                    }
                    checkRule(rule.off(), len, block.len(), e.vqName(), j);
                    totalData += len;
                }
            }
        }
        if (totalData > UVIRTIO_MAX_EXPECT_DATA) {
            throw new ErrnoException(Errno.ENOMEM, "expect data over " + UVIRTIO_MAX_EXPECT_DATA + " bytes");
        }
    }
}
