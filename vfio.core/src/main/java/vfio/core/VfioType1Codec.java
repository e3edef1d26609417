package vfio.core;

import static vfio.core.Vfio.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * Byte-exact codec of the type1 IOMMU container ioctls of v5.5 (GET_INFO with its capability
 * chain, MAP_DMA, UNMAP_DMA): decoding with the kernel's checks for the backend, and the user
 * side for typed callers.
 */
public final class VfioType1Codec {
    /*
     * struct vfio_iommu_type1_info {
     *     __u32 argsz;        0
     *     __u32 flags;        4
     *     __u64 iova_pgsizes; 8
     *     __u32 cap_offset;  16
     * };                     24 = sizeof (padded); minsz 16 (offsetofend iova_pgsizes),
     *                        capsz 20 (offsetofend cap_offset)
     */
    public static final int INFO_ARGSZ = 0;
    public static final int INFO_FLAGS = 4;
    public static final int INFO_IOVA_PGSIZES = 8;
    public static final int INFO_CAP_OFFSET = 16;
    public static final int INFO_MINSZ = 16;
    public static final int INFO_CAPSZ = 20;
    public static final int INFO_SIZEOF = 24;

    /*
     * struct vfio_info_cap_header { __u16 id; 0  __u16 version; 2  __u32 next; 4 };  8
     * struct vfio_iommu_type1_info_cap_iova_range {
     *     struct vfio_info_cap_header header;  0
     *     __u32 nr_iovas;                      8
     *     __u32 reserved;                     12
     *     struct vfio_iova_range { __u64 start; __u64 end; } iova_ranges[];  16, 16 each
     * };
     * struct vfio_iommu_type1_info_cap_nesting {
     *     struct vfio_info_cap_header header;  0
     *     __u32 pasid_format;                  8
     * };                                      12, padded to 16 in the chain (vfio_info_cap_add)
     */
    public static final int CAP_ID = 0;
    public static final int CAP_VERSION = 2;
    public static final int CAP_NEXT = 4;
    public static final int CAP_HEADER_SIZE = 8;
    public static final int CAP_IOVA_NR_IOVAS = 8;
    public static final int CAP_IOVA_RANGES = 16;
    public static final int IOVA_RANGE_SIZE = 16;
    public static final int CAP_NESTING_PASID_FORMAT = 8;
    public static final int CAP_NESTING_SIZE = 12;

    /*
     * struct vfio_iommu_type1_dma_map {
     *     __u32 argsz; 0  __u32 flags; 4  __u64 vaddr; 8  __u64 iova; 16  __u64 size; 24
     * };  32 = minsz (offsetofend size)
     */
    public static final int MAP_ARGSZ = 0;
    public static final int MAP_FLAGS = 4;
    public static final int MAP_VADDR = 8;
    public static final int MAP_IOVA = 16;
    public static final int MAP_SIZE = 24;
    public static final int MAP_MINSZ = 32;

    /*
     * struct vfio_iommu_type1_dma_unmap {
     *     __u32 argsz; 0  __u32 flags; 4  __u64 iova; 8  __u64 size; 16
     * };  24 = minsz (offsetofend size)
     */
    public static final int UNMAP_ARGSZ = 0;
    public static final int UNMAP_FLAGS = 4;
    public static final int UNMAP_IOVA = 8;
    public static final int UNMAP_SIZE = 16;
    public static final int UNMAP_MINSZ = 24;

    /*
     * struct vfio_iommu_type1_pasid_request {
     *     __u32 argsz;                   0
     *     __u32 flags;                   4  ALLOC (1 << 0) or FREE (1 << 1)
     *     union {
     *         struct { __u32 min;        8
     *                  __u32 max;       12
     *                  __u32 result; }  16  alloc_pasid
     *         __u32 free_pasid;          8
     *     };
     * };                                20 = sizeof; minsz 8 (offsetofend flags)
     */
    public static final int PASID_ARGSZ = 0;
    public static final int PASID_FLAGS = 4;
    public static final int PASID_ALLOC_MIN = 8;
    public static final int PASID_ALLOC_MAX = 12;
    public static final int PASID_ALLOC_RESULT = 16;
    public static final int PASID_FREE_PASID = 8;
    public static final int PASID_MINSZ = 8;
    public static final int PASID_ALLOC_SIZE = 20;
    public static final int PASID_FREE_SIZE = 12;

    /*
     * struct vfio_iommu_type1_pasid_quota {
     *     __u32 argsz; 0  __u32 flags; 4  __u32 quota; 8
     * };  12 = minsz (offsetofend quota)
     */
    public static final int QUOTA_ARGSZ = 0;
    public static final int QUOTA_FLAGS = 4;
    public static final int QUOTA_QUOTA = 8;
    public static final int QUOTA_MINSZ = 12;

    /** A decoded VFIO_IOMMU_PASID_REQUEST: ALLOC with min and max, or FREE of pasid. */
    public record PasidRequest(boolean alloc, long min, long max, long pasid) {
    }

    /** A decoded VFIO_IOMMU_MAP_DMA. */
    public record DmaMap(int flags, long vaddr, long iova, long size) {
    }

    private VfioType1Codec() {
    }

    /** Checks the buffer holds {@code minsz} bytes (EFAULT) and argsz >= minsz (EINVAL); returns argsz. */
    static int argsz(ByteBuffer arg, int minsz, String struct) {
        if (arg == null || arg.remaining() < minsz) {
            throw new ErrnoException(Errno.EFAULT, struct + " needs " + minsz + " bytes, buffer has "
                    + (arg == null ? 0 : arg.remaining()));
        }
        arg.order(ByteOrder.LITTLE_ENDIAN);
        int argsz = arg.getInt(arg.position());
        if (Integer.compareUnsigned(argsz, minsz) < 0) {
            throw new ErrnoException(Errno.EINVAL, struct + ".argsz " + Integer.toUnsignedString(argsz)
                    + " < minsz " + minsz);
        }
        return argsz;
    }

    // ---- kernel side --------------------------------------------------------------------

    /**
     * Writes the reply of VFIO_IOMMU_GET_INFO as vfio_iommu_type1_get_info does: caps are
     * appended after the struct when argsz leaves room for them, else argsz is raised to the
     * size needed and CAPS is still flagged. {@code info.pasidFormat() == 0} means no nesting cap.
     */
    public static void putInfo(ByteBuffer arg, VfioIommuInfo info) {
        int argsz = argsz(arg, INFO_MINSZ, "vfio_iommu_type1_info");
        int base = arg.position();
        boolean hasCapOffset = Integer.compareUnsigned(argsz, INFO_CAPSZ) >= 0;
        if (hasCapOffset && arg.remaining() < INFO_CAPSZ) {
            // argsz promises cap_offset, which the kernel then copies back: a short buffer faults.
            throw new ErrnoException(Errno.EFAULT, "vfio_iommu_type1_info argsz " + Integer.toUnsignedString(argsz)
                    + " covers cap_offset but the buffer has " + arg.remaining() + " bytes");
        }
        int iovaCap = info.iovaRanges().isEmpty() ? 0 : align8(CAP_IOVA_RANGES + IOVA_RANGE_SIZE * info.iovaRanges().size());
        int nestingCap = info.pasidFormat() == 0 ? 0 : align8(CAP_NESTING_SIZE);
        int capsSize = iovaCap + nestingCap;
        int flags = info.flags() | VFIO_IOMMU_INFO_PGSIZES;
        int capOffset = 0;
        if (capsSize > 0) {
            flags |= VFIO_IOMMU_INFO_CAPS;
            if (Integer.toUnsignedLong(argsz) < INFO_SIZEOF + capsSize) {
                arg.putInt(base + INFO_ARGSZ, INFO_SIZEOF + capsSize);
            } else {
                if (arg.remaining() < INFO_SIZEOF + capsSize) {
                    throw new ErrnoException(Errno.EFAULT, "vfio_iommu_type1_info argsz " + argsz
                            + " is larger than the buffer of " + arg.remaining());
                }
                int at = base + INFO_SIZEOF;
                if (iovaCap > 0) {
                    int next = nestingCap > 0 ? INFO_SIZEOF + iovaCap : 0;
                    putCapHeader(arg, at, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, next);
                    arg.putInt(at + CAP_IOVA_NR_IOVAS, info.iovaRanges().size());
                    arg.putInt(at + CAP_IOVA_NR_IOVAS + 4, 0);
                    int r = at + CAP_IOVA_RANGES;
                    for (VfioIommuInfo.IovaRange range : info.iovaRanges()) {
                        arg.putLong(r, range.start());
                        arg.putLong(r + 8, range.end());
                        r += IOVA_RANGE_SIZE;
                    }
                    at += iovaCap;
                }
                if (nestingCap > 0) {
                    putCapHeader(arg, at, VFIO_IOMMU_TYPE1_INFO_CAP_NESTING, 0);
                    arg.putInt(at + CAP_NESTING_PASID_FORMAT, info.pasidFormat());
                    arg.putInt(at + CAP_NESTING_SIZE, 0);
                }
                capOffset = INFO_SIZEOF;
            }
        }
        arg.putInt(base + INFO_FLAGS, flags);
        arg.putLong(base + INFO_IOVA_PGSIZES, info.iovaPgsizes());
        if (hasCapOffset) {
            arg.putInt(base + INFO_CAP_OFFSET, capOffset);
        }
    }

    private static void putCapHeader(ByteBuffer arg, int at, int id, int next) {
        arg.putShort(at + CAP_ID, (short) id);
        arg.putShort(at + CAP_VERSION, (short) 1);
        arg.putInt(at + CAP_NEXT, next);
    }

    private static int align8(int size) {
        return (size + 7) & ~7;
    }

    /** Decodes VFIO_IOMMU_MAP_DMA: EINVAL for argsz < minsz or flags other than READ/WRITE. */
    public static DmaMap decodeMap(ByteBuffer arg) {
        argsz(arg, MAP_MINSZ, "vfio_iommu_type1_dma_map");
        int base = arg.position();
        int flags = arg.getInt(base + MAP_FLAGS);
        int unknown = flags & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
        if (unknown != 0) {
            throw new ErrnoException(Errno.EINVAL, "unknown vfio_iommu_type1_dma_map flags 0x"
                    + Integer.toHexString(unknown));
        }
        return new DmaMap(flags, arg.getLong(base + MAP_VADDR), arg.getLong(base + MAP_IOVA), arg.getLong(base + MAP_SIZE));
    }

    /** Decodes VFIO_IOMMU_UNMAP_DMA: returns {iova, size}; EINVAL for any flag. */
    public static long[] decodeUnmap(ByteBuffer arg) {
        argsz(arg, UNMAP_MINSZ, "vfio_iommu_type1_dma_unmap");
        int base = arg.position();
        int flags = arg.getInt(base + UNMAP_FLAGS);
        if (flags != 0) {
            throw new ErrnoException(Errno.EINVAL, "vfio_iommu_type1_dma_unmap takes no flags, got 0x"
                    + Integer.toHexString(flags));
        }
        return new long[] { arg.getLong(base + UNMAP_IOVA), arg.getLong(base + UNMAP_SIZE) };
    }

    /** Writes the size unmapped back into a vfio_iommu_type1_dma_unmap. */
    public static void putUnmapped(ByteBuffer arg, long size) {
        arg.putLong(arg.position() + UNMAP_SIZE, size);
    }

    /**
     * Decodes VFIO_IOMMU_PASID_REQUEST. Unlike the RFC, which ignored bits outside its mask
     * and read past a short argsz, unknown flags, both or neither of ALLOC and FREE, and an
     * argsz that does not cover the request's part of the union answer EINVAL.
     */
    public static PasidRequest decodePasidRequest(ByteBuffer arg) {
        int argsz = argsz(arg, PASID_MINSZ, "vfio_iommu_type1_pasid_request");
        int base = arg.position();
        int flags = arg.getInt(base + PASID_FLAGS);
        if (flags != VFIO_IOMMU_PASID_ALLOC && flags != VFIO_IOMMU_PASID_FREE) {
            throw new ErrnoException(Errno.EINVAL, "vfio_iommu_type1_pasid_request.flags 0x" + Integer.toHexString(flags)
                    + " must be exactly ALLOC or FREE");
        }
        boolean alloc = flags == VFIO_IOMMU_PASID_ALLOC;
        int size = alloc ? PASID_ALLOC_SIZE : PASID_FREE_SIZE;
        if (Integer.compareUnsigned(argsz, size) < 0) {
            throw new ErrnoException(Errno.EINVAL, "vfio_iommu_type1_pasid_request.argsz " + Integer.toUnsignedString(argsz)
                    + " < " + size + " for " + (alloc ? "ALLOC" : "FREE"));
        }
        if (arg.remaining() < size) {
            throw new ErrnoException(Errno.EFAULT, "vfio_iommu_type1_pasid_request needs " + size + " bytes");
        }
        if (alloc) {
            return new PasidRequest(true, Integer.toUnsignedLong(arg.getInt(base + PASID_ALLOC_MIN)),
                    Integer.toUnsignedLong(arg.getInt(base + PASID_ALLOC_MAX)), 0);
        }
        return new PasidRequest(false, 0, 0, Integer.toUnsignedLong(arg.getInt(base + PASID_FREE_PASID)));
    }

    /** Writes alloc_pasid.result. */
    public static void putPasidResult(ByteBuffer arg, int pasid) {
        arg.putInt(arg.position() + PASID_ALLOC_RESULT, pasid);
    }

    /** Decodes VFIO_IOMMU_SET_PASID_QUOTA: the quota; EINVAL for any flag. */
    public static long decodeQuota(ByteBuffer arg) {
        argsz(arg, QUOTA_MINSZ, "vfio_iommu_type1_pasid_quota");
        int base = arg.position();
        int flags = arg.getInt(base + QUOTA_FLAGS);
        if (flags != 0) {
            throw new ErrnoException(Errno.EINVAL, "vfio_iommu_type1_pasid_quota takes no flags, got 0x"
                    + Integer.toHexString(flags));
        }
        return Integer.toUnsignedLong(arg.getInt(base + QUOTA_QUOTA));
    }

    // ---- user side ----------------------------------------------------------------------

    /** VFIO_IOMMU_PASID_REQUEST ALLOC in {@code [min, max]}; returns the PASID. */
    public static int allocPasid(VfioContainer container, int min, int max) {
        ByteBuffer b = struct(PASID_ALLOC_SIZE);
        b.putInt(PASID_FLAGS, VFIO_IOMMU_PASID_ALLOC).putInt(PASID_ALLOC_MIN, min).putInt(PASID_ALLOC_MAX, max);
        container.ioctl(VFIO_IOMMU_PASID_REQUEST, b);
        return b.getInt(PASID_ALLOC_RESULT);
    }

    public static void freePasid(VfioContainer container, int pasid) {
        ByteBuffer b = struct(PASID_FREE_SIZE);
        b.putInt(PASID_FLAGS, VFIO_IOMMU_PASID_FREE).putInt(PASID_FREE_PASID, pasid);
        container.ioctl(VFIO_IOMMU_PASID_REQUEST, b);
    }

    /** VFIO_IOMMU_SET_PASID_QUOTA; returns the quota now in force. */
    public static int setPasidQuota(VfioContainer container, int quota) {
        ByteBuffer b = struct(QUOTA_MINSZ);
        b.putInt(QUOTA_QUOTA, quota);
        return (int) container.ioctl(VFIO_IOMMU_SET_PASID_QUOTA, b);
    }

    /** GET_INFO as QEMU does it: once with the bare struct, again with the argsz it asks for. */
    public static VfioIommuInfo getInfo(VfioContainer container) {
        ByteBuffer b = struct(INFO_SIZEOF);
        container.ioctl(VFIO_IOMMU_GET_INFO, b);
        int needed = b.getInt(INFO_ARGSZ);
        if (needed > INFO_SIZEOF) {
            b = struct(needed);
            container.ioctl(VFIO_IOMMU_GET_INFO, b);
        }
        return decodeInfo(b);
    }

    /** Reads a GET_INFO reply, following the capability chain. */
    public static VfioIommuInfo decodeInfo(ByteBuffer b) {
        b.order(ByteOrder.LITTLE_ENDIAN);
        if (b.limit() < INFO_MINSZ) {
            throw new ErrnoException(Errno.EINVAL, "a GET_INFO reply has at least " + INFO_MINSZ + " bytes, not " + b.limit());
        }
        int flags = b.getInt(INFO_FLAGS);
        List<VfioIommuInfo.IovaRange> ranges = new ArrayList<>();
        int pasidFormat = 0;
        int next = (flags & VFIO_IOMMU_INFO_CAPS) != 0 && b.limit() >= INFO_CAPSZ ? b.getInt(INFO_CAP_OFFSET) : 0;
        int hops = 0;
        while (next != 0) {
            if (next < INFO_SIZEOF || next > b.limit() - CAP_HEADER_SIZE || ++hops > 64) {   // no int overflow
                throw new ErrnoException(Errno.EINVAL, "bad capability offset " + next);
            }
            int id = b.getShort(next + CAP_ID) & 0xffff;
            int body = id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE ? CAP_IOVA_RANGES
                    : id == VFIO_IOMMU_TYPE1_INFO_CAP_NESTING ? CAP_NESTING_SIZE : CAP_HEADER_SIZE;
            if (next + body > b.limit()) {
                throw new ErrnoException(Errno.EINVAL, "capability " + id + " at " + next + " overruns the reply");
            }
            if (id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
                int n = b.getInt(next + CAP_IOVA_NR_IOVAS);
                if (n < 0 || next + CAP_IOVA_RANGES + (long) n * IOVA_RANGE_SIZE > b.limit()) {
                    throw new ErrnoException(Errno.EINVAL, "IOVA range capability with " + n + " ranges overruns");
                }
                for (int i = 0; i < n; i++) {
                    int r = next + CAP_IOVA_RANGES + i * IOVA_RANGE_SIZE;
                    ranges.add(new VfioIommuInfo.IovaRange(b.getLong(r), b.getLong(r + 8)));
                }
            } else if (id == VFIO_IOMMU_TYPE1_INFO_CAP_NESTING) {
                pasidFormat = b.getInt(next + CAP_NESTING_PASID_FORMAT);
            }
            next = b.getInt(next + CAP_NEXT);
        }
        return new VfioIommuInfo(flags, b.getLong(INFO_IOVA_PGSIZES), ranges, pasidFormat);
    }

    public static void mapDma(VfioContainer container, long vaddr, long iova, long size, int flags) {
        ByteBuffer b = struct(MAP_MINSZ);
        b.putInt(MAP_FLAGS, flags).putLong(MAP_VADDR, vaddr).putLong(MAP_IOVA, iova).putLong(MAP_SIZE, size);
        container.ioctl(VFIO_IOMMU_MAP_DMA, b);
    }

    public static long unmapDma(VfioContainer container, long iova, long size) {
        ByteBuffer b = struct(UNMAP_MINSZ);
        b.putLong(UNMAP_IOVA, iova).putLong(UNMAP_SIZE, size);
        container.ioctl(VFIO_IOMMU_UNMAP_DMA, b);
        return b.getLong(UNMAP_SIZE);
    }

    static ByteBuffer struct(int size) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, size);
        return b;
    }
}
