package vendor.ccw;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * The formats vfio-ccw moves between a guest and a subchannel, big-endian as s390 lays them
 * out, with the region layouts of include/uapi/linux/vfio_ccw.h.
 */
public final class Ccw {
    /*
     * struct ccw_io_region {
     *     __u8  orb_area[12];   0
     *     __u8  scsw_area[12]; 12
     *     __u8  irb_area[96];  24
     *     __u32 ret_code;     120
     * } __packed;             124
     */
    public static final int IO_ORB = 0;
    public static final int IO_SCSW = 12;
    public static final int IO_IRB = 24;
    public static final int IO_RET_CODE = 120;
    public static final int IO_REGION_SIZE = 124;

    /*
     * struct ccw_cmd_region { __u32 command; 0  __u32 ret_code; 4 } __packed;  8
     */
    public static final int CMD_COMMAND = 0;
    public static final int CMD_RET_CODE = 4;
    public static final int CMD_REGION_SIZE = 8;
    public static final int VFIO_CCW_ASYNC_CMD_HSCH = 1 << 0;
    public static final int VFIO_CCW_ASYNC_CMD_CSCH = 1 << 1;

    /* struct ccw_schib_region { __u8 schib_area[52]; } __packed; */
    public static final int SCHIB_REGION_SIZE = 52;
    /* struct ccw_crw_region { __u32 crw; 0  __u32 pad; 4 } __packed;  8 */
    public static final int CRW_REGION_SIZE = 8;

    public static final int VFIO_CCW_CONFIG_REGION_INDEX = 0;
    public static final int VFIO_CCW_NUM_REGIONS = 1;
    /** enum { VFIO_CCW_IO_IRQ_INDEX, VFIO_CCW_CRW_IRQ_INDEX, VFIO_CCW_NUM_IRQS }. */
    public static final int VFIO_CCW_IO_IRQ_INDEX = 0;
    public static final int VFIO_CCW_CRW_IRQ_INDEX = 1;
    public static final int VFIO_CCW_NUM_IRQS = 2;
    /** VFIO_REGION_TYPE_CCW and its subtypes: the type caps of the device-specific regions. */
    public static final int VFIO_REGION_TYPE_CCW = 2;
    public static final int VFIO_REGION_SUBTYPE_CCW_ASYNC_CMD = 1;
    public static final int VFIO_REGION_SUBTYPE_CCW_SCHIB = 2;
    public static final int VFIO_REGION_SUBTYPE_CCW_CRW = 3;

    /** Channel report words (asm/crw.h): reporting source channel path, error codes. */
    public static final int CRW_RSC_CPATH = 0x4;
    public static final int CRW_ERC_INIT = 0x02;
    public static final int CRW_ERC_PERRN = 0x06;

    /** A CRW: res1 0, slct 1, oflw 2, chn 3, rsc 4-7, anc 8, res2 9, erc 10-15, rsid 16-31. */
    public static int crw(int rsc, int erc, int rsid) {
        return ((rsc & 0xf) << 24) | ((erc & 0x3f) << 16) | (rsid & 0xffff);
    }

    /** CCW commands of the simulated block device (and TIC, which the channel handles). */
    public static final int CMD_WRITE = 0x01;
    public static final int CMD_READ = 0x02;
    public static final int CMD_NOP = 0x03;
    public static final int CMD_SENSE = 0x04;
    public static final int CMD_SEEK = 0x07;
    public static final int CMD_TIC = 0x08;
    public static final int CMD_SENSE_ID = 0xe4;

    /** CCW flags (format 1, byte 1). */
    public static final int CCW_FLAG_CD = 0x80;
    public static final int CCW_FLAG_CC = 0x40;
    public static final int CCW_FLAG_SLI = 0x20;
    public static final int CCW_FLAG_SKIP = 0x10;
    public static final int CCW_FLAG_PCI = 0x08;
    public static final int CCW_FLAG_IDA = 0x04;
    public static final int CCW_FLAG_SUSPEND = 0x02;

    /** Device and subchannel status of the SCSW. */
    public static final int DEV_STAT_CHN_END = 0x08;
    public static final int DEV_STAT_DEV_END = 0x04;
    public static final int DEV_STAT_UNIT_CHECK = 0x02;
    public static final int SCHN_STAT_INCORR_LEN = 0x40;
    public static final int SCHN_STAT_PROG_CHECK = 0x20;
    public static final int SCHN_STAT_PROT_CHECK = 0x10;
    /** SCSW function control and status control bits. */
    public static final int SCSW_FCTL_START_FUNC = 0x4;
    public static final int SCSW_FCTL_HALT_FUNC = 0x2;
    public static final int SCSW_FCTL_CLEAR_FUNC = 0x1;
    public static final int SCSW_STCTL_STATUS_PEND = 0x1;
    public static final int SCSW_STCTL_PRIM_STATUS = 0x4;
    public static final int SCSW_STCTL_SEC_STATUS = 0x2;
    public static final int SCSW_STCTL_ALERT_STATUS = 0x10;

    private Ccw() {
    }

    /**
     * A command-mode ORB (struct cmd_orb): word 1 bits, MSB first: key 0-3, spnd 4, mod 6,
     * sync 7, fmt 8, pfch 9, isic 10, alcc 11, ssic 12, c64 14, i2k 15, lpm 16-23, ils 24,
     * orbx 31. A transport-mode ORB (struct tm_orb) has its b bit at bit 13.
     */
    public record Orb(int intparm, int key, boolean format1, boolean prefetch, boolean c64, boolean i2k, int lpm,
            boolean transportMode, boolean suspend, boolean ils, int cpa) {

        public static Orb decode(ByteBuffer area) {
            ByteBuffer b = area.duplicate().order(ByteOrder.BIG_ENDIAN);
            int base = b.position();
            int w1 = b.getInt(base + 4);
            return new Orb(b.getInt(base), w1 >>> 28, bit(w1, 8), bit(w1, 9), bit(w1, 14), bit(w1, 15),
                    (w1 >>> 8) & 0xff, bit(w1, 13), bit(w1, 4), bit(w1, 24), b.getInt(base + 8));
        }

        public void encode(ByteBuffer area) {
            ByteBuffer b = area.duplicate().order(ByteOrder.BIG_ENDIAN);
            int base = b.position();
            int w1 = (key << 28) | (suspend ? 1 << 27 : 0) | (transportMode ? 1 << 18 : 0)
                    | (format1 ? 1 << 23 : 0) | (prefetch ? 1 << 22 : 0)
                    | (c64 ? 1 << 17 : 0) | (i2k ? 1 << 16 : 0) | ((lpm & 0xff) << 8) | (ils ? 1 << 7 : 0);
            b.putInt(base, intparm).putInt(base + 4, w1).putInt(base + 8, cpa);
        }
    }

    /** A format-1 CCW: command, flags, count, data address (31 bits). */
    public record Ccw1(int cmd, int flags, int count, int cda) {
        public static final int SIZE = 8;

        public static Ccw1 decode(ByteBuffer eight) {
            ByteBuffer b = eight.duplicate().order(ByteOrder.BIG_ENDIAN);
            int base = b.position();
            return new Ccw1(b.get(base) & 0xff, b.get(base + 1) & 0xff, b.getShort(base + 2) & 0xffff, b.getInt(base + 4));
        }

        public void encode(ByteBuffer eight) {
            ByteBuffer b = eight.duplicate().order(ByteOrder.BIG_ENDIAN);
            int base = b.position();
            b.put(base, (byte) cmd).put(base + 1, (byte) flags).putShort(base + 2, (short) count).putInt(base + 4, cda);
        }

        public boolean has(int flag) {
            return (flags & flag) != 0;
        }

        /** Command or data chaining: the channel goes on to the next CCW. */
        public boolean chains() {
            return has(CCW_FLAG_CC) || has(CCW_FLAG_CD);
        }
    }

    /**
     * A command-mode SCSW (struct cmd_scsw): word 0 key 0-3, sctl 4, eswf 5, cc 6-7, fmt 8,
     * pfch 9, isic 10, alcc 11, ssi 12, zcc 13, ectl 14, pno 15, res 16, fctl 17-19, actl 20-26,
     * stctl 27-31; word 1 cpa; word 2 dstat 0-7, cstat 8-15, count 16-31.
     */
    public record Scsw(int fctl, int actl, int stctl, int cpa, int dstat, int cstat, int count) {
        public static Scsw decode(ByteBuffer twelve) {
            ByteBuffer b = twelve.duplicate().order(ByteOrder.BIG_ENDIAN);
            int base = b.position();
            int w0 = b.getInt(base);
            int w2 = b.getInt(base + 8);
            return new Scsw((w0 >>> 12) & 0x7, (w0 >>> 5) & 0x7f, w0 & 0x1f, b.getInt(base + 4), w2 >>> 24,
                    (w2 >>> 16) & 0xff, w2 & 0xffff);
        }

        public void encode(ByteBuffer twelve) {
            ByteBuffer b = twelve.duplicate().order(ByteOrder.BIG_ENDIAN);
            int base = b.position();
            b.putInt(base, ((fctl & 0x7) << 12) | ((actl & 0x7f) << 5) | (stctl & 0x1f));
            b.putInt(base + 4, cpa);
            b.putInt(base + 8, (dstat << 24) | ((cstat & 0xff) << 16) | (count & 0xffff));
        }
    }

    /** EINVAL unless {@code region} covers {@code offset..offset+count}. */
    public static void checkRegion(long offset, int count, int size, String what) {
        if (offset < 0 || count <= 0 || offset + count > size) {
            throw new ErrnoException(Errno.EINVAL, "access of " + count + " byte(s) at " + offset + " outside the "
                    + what + " of " + size + " bytes");
        }
    }

    private static boolean bit(int word, int msbIndex) {
        return (word & (1 << (31 - msbIndex))) != 0;
    }
}
