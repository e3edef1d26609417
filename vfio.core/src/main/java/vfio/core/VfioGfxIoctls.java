package vfio.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The display ioctls of a vendor whose device shows a guest's screen (GVT-g's, mdpy's and
 * mbochs's {@code VFIO_DEVICE_QUERY_GFX_PLANE} and {@code VFIO_DEVICE_GET_GFX_DMABUF}).
 * {@link VfioIoctlCodec#dispatch} decodes and checks the structs and calls these; a device
 * without them answers ENOTTY.
 */
@ConsumerType
public interface VfioGfxIoctls {
    /**
     * {@code flags} is one of PROBE|DMABUF, PROBE|REGION (the codec has checked): for a probe,
     * return null if the kind is supported, EINVAL if not; otherwise the current plane of
     * {@code drmPlaneType}, or {@link VfioGfxPlaneInfo#disabled} when the guest shows none.
     */
    VfioGfxPlaneInfo queryGfxPlane(int flags, int drmPlaneType);

    /** The dma-buf with the id a DMABUF query gave; ENOENT for an unknown id. */
    GfxDmabuf getGfxDmabuf(int dmabufId);
}
