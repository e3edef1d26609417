package vendor.gvt;

import java.util.List;
import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A simulated Intel GPU with GVT-g, registered as a service next to its mdev parent (one per
 * factory configuration of {@code vendor.gvt.gpu}).
 */
@ProviderType
public interface GvtGpu {
    /** A resource pool: low GM (aperture), high GM (hidden) or fences. */
    record Pool(String name, long total, long hostReserved, long used, long free) {
    }

    /** What one vGPU holds: its id, type, GM ranges (graphics addresses) and fence registers. */
    record VgpuSlice(UUID uuid, int id, String type, long lowBase, long lowSize, long highBase, long highSize,
            int fenceBase, int fences) {
    }

    /** The parent device name (the GPU's PCI address). */
    String name();

    /** BDW or SKL. */
    String generation();

    List<Pool> pools();

    List<VgpuSlice> vgpus();
}
