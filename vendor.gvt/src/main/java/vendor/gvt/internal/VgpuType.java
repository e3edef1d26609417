package vendor.gvt.internal;

import java.util.ArrayList;
import java.util.List;

import mdev.core.MdevTypeSpec;
import vfio.core.Vfio;

/**
 * A vGPU type as intel_gvt_init_vgpu_types builds it from the fixed table of gvt/vgpu.c: the
 * 8/4/2/1 slicing of low and high GM, 4 fences each, weight 16/n, and a resolution.
 */
record VgpuType(String shortName, long lowGm, long highGm, int fences, int weight, String resolution) {
    static final long MB = 1 << 20;
    static final int VGPU_MAX_WEIGHT = 16;

    /** The kernel's vgpu_types[]. */
    static final List<VgpuType> TABLE = List.of(
            new VgpuType("8", 64 * MB, 384 * MB, 4, VGPU_MAX_WEIGHT / 8, "1024x768"),
            new VgpuType("4", 128 * MB, 512 * MB, 4, VGPU_MAX_WEIGHT / 4, "1920x1200"),
            new VgpuType("2", 256 * MB, 1024 * MB, 4, VGPU_MAX_WEIGHT / 2, "1920x1200"),
            new VgpuType("1", 512 * MB, 2048 * MB, 4, VGPU_MAX_WEIGHT / 1, "1920x1200"));

    /** The types a GPU with {@code lowAvail} bytes of low GM offers: the table up to the first that does not fit. */
    static List<VgpuType> typesFor(long lowAvail) {
        List<VgpuType> types = new ArrayList<>();
        for (VgpuType t : TABLE) {
            if (lowAvail / t.lowGm() == 0) {
                break;
            }
            types.add(t);
        }
        return types;
    }

    /** GVTg_V4_x on BDW, GVTg_V5_x on SKL. */
    String name(Generation generation) {
        return "GVTg_" + generation.typePrefix + "_" + shortName;
    }

    /** The description attribute as kvmgt.c's description_show prints it. */
    String description() {
        return "low_gm_size: " + (lowGm / MB) + "MB\nhigh_gm_size: " + (highGm / MB) + "MB\nfence: " + fences
                + "\nresolution: " + resolution + "\nweight: " + weight + "\n";
    }

    MdevTypeSpec spec(Generation generation) {
        String name = name(generation);
        return new MdevTypeSpec(name, name, description(), Vfio.VFIO_DEVICE_API_PCI_STRING);
    }

    enum Generation {
        BDW("V4", 8),
        SKL("V5", 9);

        final String typePrefix;
        final int gen;

        Generation(String typePrefix, int gen) {
            this.typePrefix = typePrefix;
            this.gen = gen;
        }
    }
}
