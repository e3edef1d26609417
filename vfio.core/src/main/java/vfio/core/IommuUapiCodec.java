package vfio.core;

import java.nio.ByteBuffer;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * Byte-exact codec of the vSVA ioctls of seed 002 (VFIO_IOMMU_BIND, VFIO_IOMMU_CACHE_INVALIDATE)
 * and the structs of include/uapi/linux/iommu.h (v5.6) they carry. Unknown versions, formats
 * and flags are rejected here, before anything is bound or invalidated.
 */
public final class IommuUapiCodec {
    /*
     * struct vfio_iommu_type1_bind { __u32 argsz; 0  __u32 flags; 4  __u8 data[]; 8 };  minsz 8
     *
     * struct iommu_gpasid_bind_data {
     *     __u32 version;      0   IOMMU_GPASID_BIND_VERSION_1
     *     __u32 format;       4   IOMMU_PASID_FORMAT_INTEL_VTD
     *     __u64 flags;        8   IOMMU_SVA_GPASID_VAL
     *     __u64 gpgd;        16
     *     __u64 hpasid;      24
     *     __u64 gpasid;      32
     *     __u32 addr_width;  40
     *     __u8  padding[12]; 44
     *     union { struct iommu_gpasid_bind_data_vtd {
     *         __u64 flags;   56   SRE EAFE PCD PWT EMTE CD
     *         __u32 pat;     64
     *         __u32 emt;     68
     *     } vtd; };
     * };                     72
     */
    public static final int BIND_ARGSZ = 0;
    public static final int BIND_FLAGS = 4;
    public static final int BIND_DATA = 8;
    public static final int BIND_MINSZ = 8;
    public static final int GPASID_VERSION = 0;
    public static final int GPASID_FORMAT = 4;
    public static final int GPASID_FLAGS = 8;
    public static final int GPASID_GPGD = 16;
    public static final int GPASID_HPASID = 24;
    public static final int GPASID_GPASID = 32;
    public static final int GPASID_ADDR_WIDTH = 40;
    public static final int GPASID_VTD_FLAGS = 56;
    public static final int GPASID_VTD_PAT = 64;
    public static final int GPASID_VTD_EMT = 68;
    public static final int GPASID_SIZE = 72;
    public static final int IOMMU_GPASID_BIND_VERSION_1 = 1;
    public static final long IOMMU_SVA_GPASID_VAL = 1;
    public static final long IOMMU_SVA_VTD_GPASID_MASK = 0x3f;

    /*
     * struct vfio_iommu_type1_cache_invalidate {
     *     __u32 argsz; 0  __u32 flags; 4  struct iommu_cache_invalidate_info cache_info; 8
     * };                56 = minsz (offsetofend cache_info)
     *
     * struct iommu_cache_invalidate_info {
     *     __u32 version;       0   IOMMU_CACHE_INVALIDATE_INFO_VERSION_1
     *     __u8  cache;         4   IOTLB (1 << 0), DEV_IOTLB (1 << 1), PASID (1 << 2)
     *     __u8  granularity;   5   DOMAIN 0, PASID 1, ADDR 2
     *     __u8  padding[2];    6
     *     union {              8
     *         struct iommu_inv_pasid_info { __u32 flags; 8  __u32 archid; 12  __u64 pasid; 16 };
     *         struct iommu_inv_addr_info  { __u32 flags; 8  __u32 archid; 12  __u64 pasid; 16
     *                                       __u64 addr; 24  __u64 granule_size; 32  __u64 nb_granules; 40 };
     *     };
     * };                      48
     */
    public static final int INV_ARGSZ = 0;
    public static final int INV_FLAGS = 4;
    public static final int INV_INFO = 8;
    public static final int INV_MINSZ = 56;
    public static final int INFO_VERSION = 0;
    public static final int INFO_CACHE = 4;
    public static final int INFO_GRANULARITY = 5;
    public static final int INFO_FLAGS = 8;
    public static final int INFO_ARCHID = 12;
    public static final int INFO_PASID = 16;
    public static final int INFO_ADDR = 24;
    public static final int INFO_GRANULE_SIZE = 32;
    public static final int INFO_NB_GRANULES = 40;
    public static final int INFO_SIZE = 48;
    public static final int IOMMU_CACHE_INVALIDATE_INFO_VERSION_1 = 1;
    public static final int IOMMU_CACHE_INV_TYPE_MASK = 0x7;
    public static final int IOMMU_INV_GRANU_DOMAIN = 0;
    public static final int IOMMU_INV_GRANU_PASID = 1;
    public static final int IOMMU_INV_GRANU_ADDR = 2;
    public static final int IOMMU_INV_PASID_FLAGS_MASK = 0x3;
    public static final int IOMMU_INV_ADDR_FLAGS_MASK = 0x7;

    /** A decoded iommu_gpasid_bind_data (v5.6, version 1). */
    public record GpasidBind(int format, long flags, long gpgd, long hpasid, long gpasid, int addrWidth,
            long vtdFlags, int pat, int emt) {
    }

    /** A decoded iommu_cache_invalidate_info (v5.6, version 1). */
    public record CacheInvalidate(int cache, int granularity, int flags, int archid, long pasid, long addr,
            long granuleSize, long nbGranules) {
    }

    /** A decoded VFIO_IOMMU_BIND: bind or unbind, and its data. */
    public record Bind(boolean bind, GpasidBind data) {
    }

    private IommuUapiCodec() {
    }

    // ---- kernel side --------------------------------------------------------------------

    /** Decodes VFIO_IOMMU_BIND with its iommu_gpasid_bind_data. */
    public static Bind decodeBind(ByteBuffer arg) {
        int argsz = VfioType1Codec.argsz(arg, BIND_MINSZ, "vfio_iommu_type1_bind");
        int base = arg.position();
        int flags = arg.getInt(base + BIND_FLAGS);
        if (flags != Vfio.VFIO_IOMMU_BIND_GUEST_PGTBL && flags != Vfio.VFIO_IOMMU_UNBIND_GUEST_PGTBL) {
            throw new ErrnoException(Errno.EINVAL, "vfio_iommu_type1_bind.flags 0x" + Integer.toHexString(flags)
                    + " must be exactly BIND_GUEST_PGTBL or UNBIND_GUEST_PGTBL");
        }
        if (arg.remaining() < BIND_DATA + 4) {
            throw new ErrnoException(Errno.EFAULT, "vfio_iommu_type1_bind has no iommu_gpasid_bind_data version");
        }
        int d = base + BIND_DATA;
        int version = arg.getInt(d + GPASID_VERSION);
        if (version != IOMMU_GPASID_BIND_VERSION_1) {
            throw new ErrnoException(Errno.EINVAL, "iommu_gpasid_bind_data version " + version + " is not supported");
        }
        if (Integer.toUnsignedLong(argsz) < BIND_DATA + GPASID_SIZE) {
            throw new ErrnoException(Errno.EINVAL, "vfio_iommu_type1_bind.argsz " + Integer.toUnsignedString(argsz)
                    + " < " + (BIND_DATA + GPASID_SIZE));
        }
        if (arg.remaining() < BIND_DATA + GPASID_SIZE) {
            throw new ErrnoException(Errno.EFAULT, "iommu_gpasid_bind_data needs " + GPASID_SIZE + " bytes");
        }
        int format = arg.getInt(d + GPASID_FORMAT);
        if (format != Vfio.IOMMU_PASID_FORMAT_INTEL_VTD) {
            throw new ErrnoException(Errno.EINVAL, "PASID format " + format + " is not supported");
        }
        long gflags = arg.getLong(d + GPASID_FLAGS);
        if ((gflags & ~IOMMU_SVA_GPASID_VAL) != 0) {
            throw new ErrnoException(Errno.EINVAL, "unknown iommu_gpasid_bind_data flags 0x" + Long.toHexString(gflags));
        }
        long vtdFlags = arg.getLong(d + GPASID_VTD_FLAGS);
        if ((vtdFlags & ~IOMMU_SVA_VTD_GPASID_MASK) != 0) {
            throw new ErrnoException(Errno.EINVAL, "unknown VT-d bind flags 0x" + Long.toHexString(vtdFlags));
        }
        int addrWidth = arg.getInt(d + GPASID_ADDR_WIDTH);
        if (addrWidth != 48 && addrWidth != 57) {
            throw new ErrnoException(Errno.EINVAL, "address width " + addrWidth + " is neither 48 nor 57");
        }
        GpasidBind data = new GpasidBind(format, gflags, arg.getLong(d + GPASID_GPGD), arg.getLong(d + GPASID_HPASID),
                arg.getLong(d + GPASID_GPASID), addrWidth, vtdFlags, arg.getInt(d + GPASID_VTD_PAT),
                arg.getInt(d + GPASID_VTD_EMT));
        return new Bind(flags == Vfio.VFIO_IOMMU_BIND_GUEST_PGTBL, data);
    }

    /** Decodes VFIO_IOMMU_CACHE_INVALIDATE: flags must be 0, version 1, known cache types and granularity. */
    public static CacheInvalidate decodeCacheInvalidate(ByteBuffer arg) {
        VfioType1Codec.argsz(arg, INV_MINSZ, "vfio_iommu_type1_cache_invalidate");
        int base = arg.position();
        int flags = arg.getInt(base + INV_FLAGS);
        if (flags != 0) {
            throw new ErrnoException(Errno.EINVAL, "vfio_iommu_type1_cache_invalidate takes no flags, got 0x"
                    + Integer.toHexString(flags));
        }
        int i = base + INV_INFO;
        int version = arg.getInt(i + INFO_VERSION);
        if (version != IOMMU_CACHE_INVALIDATE_INFO_VERSION_1) {
            throw new ErrnoException(Errno.EINVAL, "iommu_cache_invalidate_info version " + version + " is not supported");
        }
        int cache = arg.get(i + INFO_CACHE) & 0xff;
        if (cache == 0 || (cache & ~IOMMU_CACHE_INV_TYPE_MASK) != 0) {
            throw new ErrnoException(Errno.EINVAL, "cache types 0x" + Integer.toHexString(cache) + " are not valid");
        }
        int granularity = arg.get(i + INFO_GRANULARITY) & 0xff;
        int infoFlags = arg.getInt(i + INFO_FLAGS);
        switch (granularity) {
            case IOMMU_INV_GRANU_DOMAIN -> { }
            case IOMMU_INV_GRANU_PASID -> checkFlags(infoFlags, IOMMU_INV_PASID_FLAGS_MASK, "iommu_inv_pasid_info");
            case IOMMU_INV_GRANU_ADDR -> checkFlags(infoFlags, IOMMU_INV_ADDR_FLAGS_MASK, "iommu_inv_addr_info");
            default -> throw new ErrnoException(Errno.EINVAL, "granularity " + granularity + " is not valid");
        }
        boolean addr = granularity == IOMMU_INV_GRANU_ADDR;
        return new CacheInvalidate(cache, granularity, infoFlags, arg.getInt(i + INFO_ARCHID), arg.getLong(i + INFO_PASID),
                addr ? arg.getLong(i + INFO_ADDR) : 0, addr ? arg.getLong(i + INFO_GRANULE_SIZE) : 0,
                addr ? arg.getLong(i + INFO_NB_GRANULES) : 0);
    }

    private static void checkFlags(int flags, int mask, String struct) {
        if ((flags & ~mask) != 0) {
            throw new ErrnoException(Errno.EINVAL, "unknown " + struct + " flags 0x" + Integer.toHexString(flags & ~mask));
        }
    }

    // ---- user side ----------------------------------------------------------------------

    /** VFIO_IOMMU_BIND of {@code data} (bind) or its undoing (unbind). */
    public static void bind(VfioContainer container, boolean bind, GpasidBind data) {
        ByteBuffer b = VfioType1Codec.struct(BIND_DATA + GPASID_SIZE);
        b.putInt(BIND_FLAGS, bind ? Vfio.VFIO_IOMMU_BIND_GUEST_PGTBL : Vfio.VFIO_IOMMU_UNBIND_GUEST_PGTBL);
        int d = BIND_DATA;
        b.putInt(d + GPASID_VERSION, IOMMU_GPASID_BIND_VERSION_1).putInt(d + GPASID_FORMAT, data.format())
                .putLong(d + GPASID_FLAGS, data.flags()).putLong(d + GPASID_GPGD, data.gpgd())
                .putLong(d + GPASID_HPASID, data.hpasid()).putLong(d + GPASID_GPASID, data.gpasid())
                .putInt(d + GPASID_ADDR_WIDTH, data.addrWidth()).putLong(d + GPASID_VTD_FLAGS, data.vtdFlags())
                .putInt(d + GPASID_VTD_PAT, data.pat()).putInt(d + GPASID_VTD_EMT, data.emt());
        container.ioctl(Vfio.VFIO_IOMMU_BIND, b);
    }

    /** VFIO_IOMMU_CACHE_INVALIDATE of {@code info}. */
    public static void cacheInvalidate(VfioContainer container, CacheInvalidate info) {
        ByteBuffer b = VfioType1Codec.struct(INV_MINSZ);
        int i = INV_INFO;
        b.putInt(i + INFO_VERSION, IOMMU_CACHE_INVALIDATE_INFO_VERSION_1).put(i + INFO_CACHE, (byte) info.cache())
                .put(i + INFO_GRANULARITY, (byte) info.granularity()).putInt(i + INFO_FLAGS, info.flags())
                .putInt(i + INFO_ARCHID, info.archid()).putLong(i + INFO_PASID, info.pasid())
                .putLong(i + INFO_ADDR, info.addr()).putLong(i + INFO_GRANULE_SIZE, info.granuleSize())
                .putLong(i + INFO_NB_GRANULES, info.nbGranules());
        container.ioctl(Vfio.VFIO_IOMMU_CACHE_INVALIDATE, b);
    }
}
