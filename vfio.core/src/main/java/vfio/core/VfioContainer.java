package vfio.core;

import java.nio.ByteBuffer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * An open container ({@code /dev/vfio/vfio}). Value ioctls (GET_API_VERSION, CHECK_EXTENSION,
 * SET_IOMMU) take their argument as a number; the others take their struct in a buffer and
 * go to the container's IOMMU once one is set (EINVAL before).
 */
@ProviderType
public interface VfioContainer extends AutoCloseable {
    /** This container's number in the file table it was opened with. */
    int fd();

    VmAddressSpace vm();

    long ioctl(int cmd, long arg);

    long ioctl(int cmd, ByteBuffer arg);

    /** Closes this file; the container lives on while groups are set to it. */
    @Override
    void close();

    default int apiVersion() {
        return (int) ioctl(Vfio.VFIO_GET_API_VERSION, 0);
    }

    default boolean checkExtension(int extension) {
        return ioctl(Vfio.VFIO_CHECK_EXTENSION, extension) > 0;
    }

    default void setIommu(int type) {
        ioctl(Vfio.VFIO_SET_IOMMU, type);
    }

    default VfioIommuInfo iommuInfo() {
        return VfioType1Codec.getInfo(this);
    }

    /** VFIO_IOMMU_MAP_DMA of {@code size} bytes of the VM at {@code vaddr} to {@code iova}. */
    default void mapDma(long vaddr, long iova, long size, int flags) {
        VfioType1Codec.mapDma(this, vaddr, iova, size, flags);
    }

    /** VFIO_NESTING_GET_IOMMU_UAPI_VERSION (seed 002 patch 4): available with or without an IOMMU. */
    default int iommuUapiVersion() {
        return (int) ioctl(Vfio.VFIO_NESTING_GET_IOMMU_UAPI_VERSION, 0);
    }

    /** VFIO_IOMMU_PASID_REQUEST ALLOC (seed 002 patch 1): a PASID in {@code [min, max]} for this VM. */
    default int allocPasid(int min, int max) {
        return VfioType1Codec.allocPasid(this, min, max);
    }

    /** VFIO_IOMMU_PASID_REQUEST FREE: only a PASID this VM owns. */
    default void freePasid(int pasid) {
        VfioType1Codec.freePasid(this, pasid);
    }

    /** VFIO_IOMMU_SET_PASID_QUOTA (seed 002 patch 2); returns the new quota. */
    default int setPasidQuota(int quota) {
        return VfioType1Codec.setPasidQuota(this, quota);
    }

    /** VFIO_IOMMU_BIND with BIND_GUEST_PGTBL (seed 002 patch 6). */
    default void bindGuestPgtbl(IommuUapiCodec.GpasidBind data) {
        IommuUapiCodec.bind(this, true, data);
    }

    /** VFIO_IOMMU_BIND with UNBIND_GUEST_PGTBL. */
    default void unbindGuestPgtbl(IommuUapiCodec.GpasidBind data) {
        IommuUapiCodec.bind(this, false, data);
    }

    /** VFIO_IOMMU_CACHE_INVALIDATE (seed 002 patch 7). */
    default void cacheInvalidate(IommuUapiCodec.CacheInvalidate info) {
        IommuUapiCodec.cacheInvalidate(this, info);
    }

    /** VFIO_IOMMU_UNMAP_DMA; returns the size unmapped. */
    default long unmapDma(long iova, long size) {
        return VfioType1Codec.unmapDma(this, iova, size);
    }
}
