package samples.mbochs.internal;

import java.nio.charset.StandardCharsets;

/**
 * A 128-byte EDID 1.4 base block for one display mode, what the device's monitor reports: the
 * header, a manufacturer and product, the preferred detailed timing for {@code width x height}
 * at 60 Hz (reduced blanking), a monitor name, and the checksum. Linux's drm_edid reads the
 * preferred timing as the connector's preferred mode.
 */
final class Edid {
    static final int SIZE = 128;
    private static final int H_BLANK = 160;
    private static final int H_FRONT = 48;
    private static final int H_SYNC = 32;
    private static final int V_BLANK = 30;
    private static final int V_FRONT = 3;
    private static final int V_SYNC = 5;

    private Edid() {
    }

    static byte[] of(int width, int height) {
        byte[] e = new byte[SIZE];
        e[1] = e[2] = e[3] = e[4] = e[5] = e[6] = (byte) 0xff;           // 00 ff ff ff ff ff ff 00
        int maker = ('M' - '@') << 10 | ('D' - '@') << 5 | ('V' - '@'); // "MDV", big-endian
        e[8] = (byte) (maker >> 8);
        e[9] = (byte) maker;
        e[10] = 0x01;                                                    // product 0x0001
        e[16] = 1;                                                       // week 1
        e[17] = (byte) (2026 - 1990);                                    // year
        e[18] = 1;                                                       // version 1.4
        e[19] = 4;
        e[20] = (byte) 0x80;                                             // digital input
        e[21] = 40;                                                      // 40 x 30 cm
        e[22] = 30;
        e[23] = 120;                                                     // gamma 2.2
        e[24] = 0x0a;                                                    // RGB, preferred timing in descriptor 1
        byte[] srgb = { (byte) 0xee, (byte) 0x91, (byte) 0xa3, 0x54, 0x4c, (byte) 0x99, 0x26, 0x0f, 0x50, 0x54 };
        System.arraycopy(srgb, 0, e, 25, srgb.length);
        for (int i = 38; i < 54; i++) {
            e[i] = 1;                                                    // standard timings unused (01 01)
        }
        detailedTiming(e, 54, width, height);
        descriptor(e, 72, 0xfc, "mbochs");
        descriptor(e, 90, 0x10, "");                                     // dummy descriptors
        descriptor(e, 108, 0x10, "");
        int sum = 0;
        for (int i = 0; i < SIZE - 1; i++) {
            sum += e[i] & 0xff;
        }
        e[SIZE - 1] = (byte) (-sum);
        return e;
    }

    private static void detailedTiming(byte[] e, int at, int width, int height) {
        long clock10kHz = (long) (width + H_BLANK) * (height + V_BLANK) * 60 / 10_000;
        int hmm = 400;
        int vmm = 300;
        e[at] = (byte) clock10kHz;
        e[at + 1] = (byte) (clock10kHz >> 8);
        e[at + 2] = (byte) width;
        e[at + 3] = (byte) H_BLANK;
        e[at + 4] = (byte) ((width >> 8) << 4 | (H_BLANK >> 8));
        e[at + 5] = (byte) height;
        e[at + 6] = (byte) V_BLANK;
        e[at + 7] = (byte) ((height >> 8) << 4 | (V_BLANK >> 8));
        e[at + 8] = (byte) H_FRONT;
        e[at + 9] = (byte) H_SYNC;
        e[at + 10] = (byte) ((V_FRONT & 0xf) << 4 | (V_SYNC & 0xf));
        e[at + 11] = (byte) ((H_FRONT >> 8) << 6 | (H_SYNC >> 8) << 4 | (V_FRONT >> 4) << 2 | (V_SYNC >> 4));
        e[at + 12] = (byte) hmm;
        e[at + 13] = (byte) vmm;
        e[at + 14] = (byte) ((hmm >> 8) << 4 | (vmm >> 8));
        e[at + 17] = 0x1e;                                               // digital separate sync, +h +v
    }

    /** A display descriptor: 00 00 00 tag 00, then 13 bytes of text ended by a newline and padded with spaces. */
    private static void descriptor(byte[] e, int at, int tag, String text) {
        e[at + 3] = (byte) tag;
        if (tag == 0xfc) {
            byte[] t = (text + "\n").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 13; i++) {
                e[at + 5 + i] = i < t.length ? t[i] : 0x20;
            }
        }
    }

    /** The preferred mode of an EDID's first detailed timing: {width, height}. */
    static int[] preferredMode(byte[] e) {
        int at = 54;
        return new int[] { (e[at + 2] & 0xff) | (e[at + 4] & 0xf0) << 4, (e[at + 5] & 0xff) | (e[at + 7] & 0xf0) << 4 };
    }
}
