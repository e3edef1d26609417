package virtio.uvirtio.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

import org.junit.jupiter.api.Test;

import vfio.core.VmAddressSpace;
import virtio.core.Virtio;
import virtio.uvirtio.UvirtioExpect;
import virtio.uvirtio.UvirtioSetup;

/** process_vq's matching, on rings written by hand, with the uvirtio-vga expectations. */
class UvirtioMatcherTest {
    static final long BASE = 0x10000;
    static final long DESC = BASE;
    static final long AVAIL = BASE + 0x1000;
    static final long USED = BASE + 0x2000;
    static final long REQUEST = BASE + 0x4000;
    static final long REPLY = BASE + 0x5000;
    static final int SIZE = 16;

    static final byte[] GET_DISPLAY_INFO = { 0, 1, 0, 0 };

    final VmAddressSpace guest = new VmAddressSpace("guest");
    UvirtioDevice device;

    UvirtioMatcherTest() {
        guest.allocate(BASE, 0x10000);
        byte[] mode = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 1024).putInt(12, 768).putInt(16, 1)
                .array();
        create(new UvirtioExpect(List.of(new UvirtioExpect.Expect("control", List.of(
                request(24, new UvirtioExpect.Rule(0, GET_DISPLAY_INFO)), reply(408, new UvirtioExpect.Rule(24, mode)))))));
    }

    static UvirtioExpect.Block request(int len, UvirtioExpect.Rule... rules) {
        return new UvirtioExpect.Block(len, Virtio.VRING_DESC_F_NEXT, List.of(rules));
    }

    static UvirtioExpect.Block reply(int len, UvirtioExpect.Rule... rules) {
        return new UvirtioExpect.Block(len, Virtio.VRING_DESC_F_WRITE, List.of(rules));
    }

    /** A device with {@code expect}, its control queue (0) ready on the rings, which start empty. */
    void create(UvirtioExpect expect) {
        guest.write(BASE, ByteBuffer.allocate(0x4000));
        device = new UvirtioDevice("uvirtio-test", new UvirtioSetup(Virtio.bit(Virtio.F_VERSION_1), new byte[16], false,
                Virtio.ID_GPU), expect);
        device.setGuestMemory(guest);
        device.setVqName(0, "control");
        device.setVqNum(0, SIZE);
        device.setVqAddress(0, DESC, AVAIL, USED);
        device.setVqReady(0, true);
        device.setFeatures(Virtio.bit(Virtio.F_VERSION_1));
        device.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_FEATURES_OK
                | Virtio.STATUS_DRIVER_OK);
    }

    void desc(int index, long addr, int len, int flags, int next) {
        long d = DESC + 16L * index;
        guest.putInt(d, (int) addr);
        guest.putInt(d + 4, (int) (addr >>> 32));
        guest.putInt(d + 8, len);
        guest.putShort(d + 12, flags);
        guest.putShort(d + 14, next);
    }

    /** Offers a request of {@code requestLen} bytes whose type is {@code type}, and a reply buffer. */
    int send(int type, int requestLen, int replyLen) {
        guest.putInt(REQUEST, type);
        desc(0, REQUEST, requestLen, Virtio.VRING_DESC_F_NEXT, 1);
        desc(1, REPLY, replyLen, Virtio.VRING_DESC_F_WRITE, 0);
        guest.write(REPLY, ByteBuffer.allocate(replyLen));
        int idx = guest.getShort(AVAIL + 2);
        guest.putShort(AVAIL + 4 + 2L * (idx % SIZE), 0);
        guest.putShort(AVAIL + 2, idx + 1);
        device.kickVq(0);
        int used = guest.getShort(USED + 2);
        return guest.getInt(USED + 4 + 8L * ((used - 1) % SIZE) + 4);
    }

    @Test
    void aMatchingRequestGetsThePreparedReply() {
        assertThat(send(0x0100, 24, 408)).as("reply length in the used ring").isEqualTo(408);
        assertThat(guest.getInt(REPLY + 24 + 8)).isEqualTo(1024);
        assertThat(guest.getInt(REPLY + 24 + 12)).isEqualTo(768);
        assertThat(guest.getInt(REPLY + 24 + 16)).isEqualTo(1);
        assertThat(device.replies()).isEqualTo(1);
    }

    @Test
    void anythingElseGoesBackUnanswered() {
        assertThat(send(0x0101, 24, 408)).as("another command").isZero();
        assertThat(send(0x0100, 32, 408)).as("another request length").isZero();
        assertThat(send(0x0100, 24, 400)).as("another reply length").isZero();
        assertThat(guest.getInt(REPLY + 24 + 8)).isZero();
        device.setStatus(0);
        device.setVqName(0, "cursor");
        assertThat(device.replies()).isZero();
    }

    @Test
    void everyChainGoesToTheUsedRingEvenPastTheRingSize() {
        for (int i = 0; i < 3 * SIZE + 1; i++) {
            assertThat(send(0x0100, 24, 408)).isEqualTo(408);
        }
        assertThat(guest.getShort(USED + 2)).isEqualTo(3 * SIZE + 1);
    }

    @Test
    void expectationsAreTriedInOrderAndTheFirstThatRepliesWins() {
        byte[] getEdid = { 0x0a, 1, 0, 0 };
        byte[] a = { 'A' };
        byte[] b = { 'B', 'B' };
        UvirtioExpect.Expect cursor = new UvirtioExpect.Expect("cursor", List.of(request(24),
                reply(408, new UvirtioExpect.Rule(0, new byte[] { 'X' }))));
        UvirtioExpect.Expect displayInfo = new UvirtioExpect.Expect("control", List.of(
                request(24, new UvirtioExpect.Rule(0, GET_DISPLAY_INFO)), reply(408, new UvirtioExpect.Rule(0, a))));
        UvirtioExpect.Expect edid = new UvirtioExpect.Expect("control", List.of(request(24,
                new UvirtioExpect.Rule(0, getEdid), new UvirtioExpect.Rule(20, new byte[] { 7, 7, 7 })),
                reply(408, new UvirtioExpect.Rule(1, b))));
        UvirtioExpect.Expect fourDescriptors = new UvirtioExpect.Expect("control", List.of(request(24), reply(408),
                request(8), reply(408, new UvirtioExpect.Rule(0, new byte[] { 'Z' }))));
        UvirtioExpect.Expect anyRequest = new UvirtioExpect.Expect("control", List.of(request(24),
                reply(408, new UvirtioExpect.Rule(0, new byte[] { 'C' }))));
        create(new UvirtioExpect(List.of(cursor, displayInfo, edid, fourDescriptors, anyRequest)));
        assertThat(send(0x0100, 24, 408)).as("the second expectation: the first is the cursor queue's").isEqualTo(408);
        assertThat(guest.getInt(REPLY) & 0xff).isEqualTo('A');
        guest.write(REQUEST + 20, ByteBuffer.wrap(new byte[] { 7, 7, 7 }));
        assertThat(send(0x010a, 24, 408)).as("both rules of the third (a 3-byte one) compare equal").isEqualTo(408);
        assertThat(guest.getInt(REPLY) & 0xffffff).isEqualTo('B' << 16 | 'B' << 8);
        guest.write(REQUEST + 20, ByteBuffer.wrap(new byte[] { 7, 7, 8 }));
        assertThat(send(0x010a, 24, 408)).as("the 3-byte rule differs: the fourth needs 4 descriptors, the fifth takes any")
                .isEqualTo(408);
        assertThat(guest.getInt(REPLY) & 0xff).isEqualTo('C');
        assertThat(send(0x0100, 16, 408)).as("no expectation for a request of 16 bytes").isZero();
        assertThat(device.replies()).isEqualTo(3);
    }

    @Test
    void rulesOfTwoAndEightBytesCompareAsNumbers() {
        byte[] eight = { 1, 2, 3, 4, 5, 6, 7, 8 };
        create(new UvirtioExpect(List.of(new UvirtioExpect.Expect("control", List.of(request(24,
                new UvirtioExpect.Rule(0, new byte[] { 0, 1 }), new UvirtioExpect.Rule(16, eight)),
                reply(408, new UvirtioExpect.Rule(0, new byte[] { 'R' })))))));
        guest.write(REQUEST + 16, ByteBuffer.wrap(eight));
        assertThat(send(0x0100, 24, 408)).isEqualTo(408);
        guest.putInt(REQUEST + 20, 0x08070606);
        assertThat(send(0x0100, 24, 408)).as("the last word's fifth byte differs").isZero();
        guest.write(REQUEST + 16, ByteBuffer.wrap(eight));
        assertThat(send(0x0200, 24, 408)).as("the 2-byte rule differs").isZero();
    }

    @Test
    void aRuleLongerThanTheScratchBufferComparesEveryByte() {
        byte[] long600 = new byte[600];
        for (int i = 0; i < long600.length; i++) {
            long600[i] = (byte) (i * 7 + 1);
        }
        create(new UvirtioExpect(List.of(new UvirtioExpect.Expect("control", List.of(request(1024,
                new UvirtioExpect.Rule(8, long600)), reply(408, new UvirtioExpect.Rule(0, new byte[] { 'L' })))))));
        guest.write(REQUEST + 8, ByteBuffer.wrap(long600));
        assertThat(send(0x0100, 1024, 408)).isEqualTo(408);
        for (int at : new int[] { 0, 255, 256, 511, 512, 599 }) {
            guest.write(REQUEST + 8 + at, ByteBuffer.wrap(new byte[] { (byte) (long600[at] + 1) }));
            assertThat(send(0x0100, 1024, 408)).as("byte %d of the rule differs", at).isZero();
            guest.write(REQUEST + 8 + at, ByteBuffer.wrap(new byte[] { long600[at] }));
        }
        assertThat(send(0x0100, 1024, 408)).isEqualTo(408);
        assertThat(device.replies()).isEqualTo(2);
    }
}
