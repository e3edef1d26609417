package vfio.core;

/** Constants of {@code include/uapi/linux/vfio.h} (v5.5) used by device files. */
public final class Vfio {
    /** VFIO_TYPE: the ioctl type character ';'. */
    public static final int TYPE = ';';
    /** VFIO_BASE: the first ioctl number. */
    public static final int BASE = 100;

    /** VFIO_API_VERSION: what VFIO_GET_API_VERSION answers. */
    public static final int VFIO_API_VERSION = 0;

    /** Extensions and IOMMU types (VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU). */
    public static final int VFIO_TYPE1_IOMMU = 1;
    public static final int VFIO_SPAPR_TCE_IOMMU = 2;
    public static final int VFIO_TYPE1v2_IOMMU = 3;
    public static final int VFIO_DMA_CC_IOMMU = 4;
    public static final int VFIO_EEH = 5;
    public static final int VFIO_TYPE1_NESTING_IOMMU = 6;
    public static final int VFIO_SPAPR_TCE_v2_IOMMU = 7;
    public static final int VFIO_NOIOMMU_IOMMU = 8;

    public static final int VFIO_GET_API_VERSION = io(0);
    public static final int VFIO_CHECK_EXTENSION = io(1);
    public static final int VFIO_SET_IOMMU = io(2);
    public static final int VFIO_GROUP_GET_STATUS = io(3);
    public static final int VFIO_GROUP_SET_CONTAINER = io(4);
    public static final int VFIO_GROUP_UNSET_CONTAINER = io(5);
    public static final int VFIO_GROUP_GET_DEVICE_FD = io(6);
    public static final int VFIO_IOMMU_GET_INFO = io(12);
    public static final int VFIO_IOMMU_MAP_DMA = io(13);
    public static final int VFIO_IOMMU_UNMAP_DMA = io(14);
    /** Seed 002: vSVA ioctls. */
    public static final int VFIO_IOMMU_PASID_REQUEST = io(22);
    public static final int VFIO_IOMMU_SET_PASID_QUOTA = io(23);
    public static final int VFIO_NESTING_GET_IOMMU_UAPI_VERSION = io(24);
    public static final int VFIO_IOMMU_BIND = io(25);
    public static final int VFIO_IOMMU_CACHE_INVALIDATE = io(26);

    /** vfio_iommu_type1_pasid_request.flags (seed 002). */
    public static final int VFIO_IOMMU_PASID_ALLOC = 1 << 0;
    public static final int VFIO_IOMMU_PASID_FREE = 1 << 1;
    /** VFIO_DEFAULT_PASID_QUOTA: PASIDs a VM may hold unless its quota is set. */
    public static final int VFIO_DEFAULT_PASID_QUOTA = 1000;
    /** IOMMU_UAPI_VERSION of include/uapi/linux/iommu.h in the v5.6 era. */
    public static final int IOMMU_UAPI_VERSION = 1;
    /** IOMMU_PASID_FORMAT_INTEL_VTD: the stage-1 format of Intel VT-d. */
    public static final int IOMMU_PASID_FORMAT_INTEL_VTD = 1;

    /** vfio_iommu_type1_bind.flags (seed 002 patch 6). */
    public static final int VFIO_IOMMU_BIND_GUEST_PGTBL = 1 << 0;
    public static final int VFIO_IOMMU_UNBIND_GUEST_PGTBL = 1 << 1;

    /** vfio_group_status.flags */
    public static final int VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
    public static final int VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;

    /** vfio_iommu_type1_info.flags and its capabilities. */
    public static final int VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
    public static final int VFIO_IOMMU_INFO_CAPS = 1 << 1;
    public static final int VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1;
    public static final int VFIO_IOMMU_TYPE1_INFO_CAP_NESTING = 2;

    /** vfio_iommu_type1_dma_map.flags */
    public static final int VFIO_DMA_MAP_FLAG_READ = 1 << 0;
    public static final int VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
    public static final int VFIO_DEVICE_GET_INFO = io(7);
    public static final int VFIO_DEVICE_GET_REGION_INFO = io(8);
    public static final int VFIO_DEVICE_GET_IRQ_INFO = io(9);
    public static final int VFIO_DEVICE_SET_IRQS = io(10);
    public static final int VFIO_DEVICE_RESET = io(11);
    /** Display planes and their dma-bufs (v4.16, used by GVT-g, mdpy and mbochs). */
    public static final int VFIO_DEVICE_QUERY_GFX_PLANE = io(14);
    public static final int VFIO_DEVICE_GET_GFX_DMABUF = io(15);

    /** vfio_device_gfx_plane_info.flags */
    public static final int VFIO_GFX_PLANE_TYPE_PROBE = 1 << 0;
    public static final int VFIO_GFX_PLANE_TYPE_DMABUF = 1 << 1;
    public static final int VFIO_GFX_PLANE_TYPE_REGION = 1 << 2;
    /** DRM_PLANE_TYPE_*: what drm_plane_type asks for. */
    public static final int DRM_PLANE_TYPE_OVERLAY = 0;
    public static final int DRM_PLANE_TYPE_PRIMARY = 1;
    public static final int DRM_PLANE_TYPE_CURSOR = 2;
    /** DRM_FORMAT_XRGB8888: fourcc 'XR24', 32 bits per pixel, little-endian B, G, R, X. */
    public static final int DRM_FORMAT_XRGB8888 = 'X' | 'R' << 8 | '2' << 16 | '4' << 24;

    /** A device-specific region type: graphics, and its EDID subtype (struct vfio_region_gfx_edid). */
    public static final int VFIO_REGION_TYPE_GFX = 1;
    public static final int VFIO_REGION_SUBTYPE_GFX_EDID = 1;
    public static final int VFIO_DEVICE_GFX_LINK_STATE_UP = 1;
    public static final int VFIO_DEVICE_GFX_LINK_STATE_DOWN = 2;

    /** vfio_device_info.flags */
    public static final int VFIO_DEVICE_FLAGS_RESET = 1 << 0;
    public static final int VFIO_DEVICE_FLAGS_PCI = 1 << 1;
    public static final int VFIO_DEVICE_FLAGS_PLATFORM = 1 << 2;
    public static final int VFIO_DEVICE_FLAGS_AMBA = 1 << 3;
    public static final int VFIO_DEVICE_FLAGS_CCW = 1 << 4;
    public static final int VFIO_DEVICE_FLAGS_AP = 1 << 5;

    /** vfio_region_info.flags */
    public static final int VFIO_REGION_INFO_FLAG_READ = 1 << 0;
    public static final int VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;
    public static final int VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;
    public static final int VFIO_REGION_INFO_FLAG_CAPS = 1 << 3;

    /** Region capability ids. */
    public static final int VFIO_REGION_INFO_CAP_SPARSE_MMAP = 1;
    public static final int VFIO_REGION_INFO_CAP_TYPE = 2;

    /** vfio_irq_info.flags */
    public static final int VFIO_IRQ_INFO_EVENTFD = 1 << 0;
    public static final int VFIO_IRQ_INFO_MASKABLE = 1 << 1;
    public static final int VFIO_IRQ_INFO_AUTOMASKED = 1 << 2;
    public static final int VFIO_IRQ_INFO_NORESIZE = 1 << 3;

    /** vfio_irq_set.flags */
    public static final int VFIO_IRQ_SET_DATA_NONE = 1 << 0;
    public static final int VFIO_IRQ_SET_DATA_BOOL = 1 << 1;
    public static final int VFIO_IRQ_SET_DATA_EVENTFD = 1 << 2;
    public static final int VFIO_IRQ_SET_ACTION_MASK = 1 << 3;
    public static final int VFIO_IRQ_SET_ACTION_UNMASK = 1 << 4;
    public static final int VFIO_IRQ_SET_ACTION_TRIGGER = 1 << 5;
    public static final int VFIO_IRQ_SET_DATA_TYPE_MASK = 0x7;
    public static final int VFIO_IRQ_SET_ACTION_TYPE_MASK = 0x38;

    /** vfio-pci region indexes. */
    public static final int VFIO_PCI_BAR0_REGION_INDEX = 0;
    public static final int VFIO_PCI_BAR1_REGION_INDEX = 1;
    public static final int VFIO_PCI_BAR2_REGION_INDEX = 2;
    public static final int VFIO_PCI_BAR3_REGION_INDEX = 3;
    public static final int VFIO_PCI_BAR4_REGION_INDEX = 4;
    public static final int VFIO_PCI_BAR5_REGION_INDEX = 5;
    public static final int VFIO_PCI_ROM_REGION_INDEX = 6;
    public static final int VFIO_PCI_CONFIG_REGION_INDEX = 7;
    public static final int VFIO_PCI_VGA_REGION_INDEX = 8;
    public static final int VFIO_PCI_NUM_REGIONS = 9;

    /** vfio-pci irq indexes. */
    public static final int VFIO_PCI_INTX_IRQ_INDEX = 0;
    public static final int VFIO_PCI_MSI_IRQ_INDEX = 1;
    public static final int VFIO_PCI_MSIX_IRQ_INDEX = 2;
    public static final int VFIO_PCI_ERR_IRQ_INDEX = 3;
    public static final int VFIO_PCI_REQ_IRQ_INDEX = 4;
    public static final int VFIO_PCI_NUM_IRQS = 5;

    /** VFIO_DEVICE_API_PCI_STRING and friends, the device_api attribute values. */
    public static final String VFIO_DEVICE_API_PCI_STRING = "vfio-pci";
    public static final String VFIO_DEVICE_API_PLATFORM_STRING = "vfio-platform";
    public static final String VFIO_DEVICE_API_AMBA_STRING = "vfio-amba";
    public static final String VFIO_DEVICE_API_CCW_STRING = "vfio-ccw";
    public static final String VFIO_DEVICE_API_AP_STRING = "vfio-ap";

    private Vfio() {
    }

    /** _IO(VFIO_TYPE, VFIO_BASE + nr): no direction and no size bits, as vfio.h defines them. */
    private static int io(int nr) {
        return (TYPE << 8) | (BASE + nr);
    }
}
