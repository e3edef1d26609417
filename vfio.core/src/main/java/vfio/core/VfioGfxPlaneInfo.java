package vfio.core;

/**
 * struct vfio_device_gfx_plane_info as VFIO_DEVICE_QUERY_GFX_PLANE answers it: the plane's
 * DRM format (0 with width, height and size 0 when the guest has no plane enabled), geometry,
 * cursor position and hotspot (0xffffffff: none), and {@code id}, the region index of a
 * REGION plane or the dma-buf id of a DMABUF plane.
 */
public record VfioGfxPlaneInfo(int flags, int drmPlaneType, int drmFormat, long drmFormatMod, int width, int height,
        int stride, int size, int xPos, int yPos, int xHot, int yHot, int id) {

    /** No plane: what a device answers while the guest has none enabled. */
    public static VfioGfxPlaneInfo disabled(int flags, int drmPlaneType) {
        return new VfioGfxPlaneInfo(flags, drmPlaneType, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, 0);
    }

    public boolean enabled() {
        return drmFormat != 0 && width > 0 && height > 0;
    }
}
