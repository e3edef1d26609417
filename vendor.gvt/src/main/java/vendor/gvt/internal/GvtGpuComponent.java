package vendor.gvt.internal;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;
import vendor.gvt.GvtGpu;

/**
 * A simulated physical GPU with GVT-g: one per factory configuration of {@code vendor.gvt.gpu};
 * deleting the configuration removes the parent and its vGPUs. Low GM is the aperture
 * {@code [0, aperture)}, high GM follows it {@code [aperture, aperture + hidden)}; the host keeps
 * the first HOST_LOW_GM_SIZE, HOST_HIGH_GM_SIZE and HOST_FENCE of each. Types and
 * available_instances are computed as intel_gvt_init_vgpu_types and
 * intel_gvt_update_vgpu_types do; a create past them answers ENOSPC and keeps nothing.
 */
@Component(service = { MdevParent.class, GvtGpu.class }, configurationPid = "vendor.gvt.gpu",
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = GpuConfig.class, factory = true)
public final class GvtGpuComponent implements MdevParent, GvtGpu {
    static final long MB = 1 << 20;
    static final long HOST_LOW_GM_SIZE = 128 * MB;
    static final long HOST_HIGH_GM_SIZE = 384 * MB;
    static final int HOST_FENCE = 4;
    static final String DRIVER = "i915";

    private final String name;
    private final VgpuType.Generation generation;
    private final long apertureSize;
    private final long hiddenSize;
    private final int totalFences;
    private final int deviceId;
    private final List<VgpuType> types;
    private final GmAllocator low;
    private final GmAllocator high;
    private final BitSet fences = new BitSet();
    private final Map<UUID, VgpuDevice> vgpus = new LinkedHashMap<>();
    private int nextId = 1;

    @Activate
    public GvtGpuComponent(GpuConfig config) {
        this(config.parent(), config.generation(), config.aperture_mb(), config.hidden_mb(), config.fences(),
                config.device_id());
    }

    GvtGpuComponent(String name, String generation, long apertureMb, long hiddenMb, int fences, int deviceId) {
        try {
            this.generation = VgpuType.Generation.valueOf(generation);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("generation " + generation + " is neither BDW nor SKL");
        }
        if (apertureMb * MB <= HOST_LOW_GM_SIZE || hiddenMb * MB <= HOST_HIGH_GM_SIZE || fences <= HOST_FENCE
                || apertureMb > 4096 || hiddenMb > 65536) {
            throw new IllegalArgumentException("GPU " + name + " is too small or too large: aperture " + apertureMb
                    + " MB, hidden " + hiddenMb + " MB, " + fences + " fences");
        }
        this.name = name;
        this.apertureSize = apertureMb * MB;
        this.hiddenSize = hiddenMb * MB;
        this.totalFences = fences;
        this.deviceId = deviceId;
        this.types = VgpuType.typesFor(apertureSize - HOST_LOW_GM_SIZE);
        this.low = new GmAllocator(HOST_LOW_GM_SIZE, apertureSize);
        this.high = new GmAllocator(apertureSize + HOST_HIGH_GM_SIZE, apertureSize + hiddenSize);
        this.fences.set(0, HOST_FENCE);
    }

    long apertureSize() {
        return apertureSize;
    }

    int deviceId() {
        return deviceId;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String driverName() {
        return DRIVER;
    }

    @Override
    public String generation() {
        return generation.name();
    }

    @Override
    public List<MdevTypeSpec> supportedTypes() {
        List<MdevTypeSpec> specs = new ArrayList<>();
        for (VgpuType t : types) {
            specs.add(t.spec(generation));
        }
        return specs;
    }

    private VgpuType typeOf(MdevTypeSpec spec) {
        for (VgpuType t : types) {
            if (t.name(generation).equals(spec.name())) {
                return t;
            }
        }
        throw new ErrnoException(Errno.EINVAL, "GPU " + name + " has no type " + spec.name());
    }

    private int fencesFree() {
        return totalFences - fences.cardinality();
    }

    /** intel_gvt_update_vgpu_types: the minimum over low GM, high GM and fences. */
    @Override
    public synchronized long availableInstances(MdevTypeSpec spec) {
        VgpuType t = typeOf(spec);
        long lowFree = low.total() - low.used();
        long highFree = high.total() - high.used();
        return Math.min(Math.min(lowFree / t.lowGm(), highFree / t.highGm()), fencesFree() / t.fences());
    }

    @Override
    public synchronized void create(MdevTypeSpec spec, MdevDevice mdev) {
        VgpuType t = typeOf(spec);
        if (availableInstances(spec) == 0) {
            throw new ErrnoException(Errno.ENOSPC, "GPU " + name + " has no room for a " + spec.name()
                    + " (low " + ((low.total() - low.used()) >> 20) + " MB, high " + ((high.total() - high.used()) >> 20)
                    + " MB, " + fencesFree() + " fences free)");
        }
        long lowBase = low.allocate(t.lowGm());
        long highBase;
        try {
            highBase = high.allocate(t.highGm());
        } catch (ErrnoException e) {
            low.release(lowBase, t.lowGm());
            throw e;
        }
        int fenceBase = firstFreeFences(t.fences());
        if (fenceBase < 0) {
            low.release(lowBase, t.lowGm());
            high.release(highBase, t.highGm());
            throw new ErrnoException(Errno.ENOSPC, "GPU " + name + " has no " + t.fences() + " consecutive fences");
        }
        fences.set(fenceBase, fenceBase + t.fences());
        VgpuDevice vgpu = new VgpuDevice(nextId++, this, t, lowBase, highBase, fenceBase);
        try {
            mdev.setClassId(MdevClassId.VFIO);
            mdev.setDeviceOps(vgpu);
        } catch (RuntimeException e) {
            free(vgpu);
            throw e;
        }
        vgpus.put(mdev.uuid(), vgpu);
    }

    private int firstFreeFences(int count) {
        for (int i = fences.nextClearBit(0); i + count <= totalFences; i = fences.nextClearBit(i + 1)) {
            if (fences.nextSetBit(i) < 0 || fences.nextSetBit(i) >= i + count) {
                return i;
            }
        }
        return -1;
    }

    private void free(VgpuDevice vgpu) {
        low.release(vgpu.lowBase, vgpu.type.lowGm());
        high.release(vgpu.highBase, vgpu.type.highGm());
        fences.clear(vgpu.fenceBase, vgpu.fenceBase + vgpu.type.fences());
    }

    @Override
    public synchronized void remove(MdevDevice mdev) {
        VgpuDevice vgpu = vgpus.remove(mdev.uuid());
        if (vgpu == null) {
            throw new ErrnoException(Errno.EINVAL, "GPU " + name + " has no vGPU " + mdev.uuid());
        }
        vgpu.markRemoved();
        free(vgpu);
    }

    @Override
    public synchronized List<Pool> pools() {
        return List.of(
                new Pool("low_gm", apertureSize, HOST_LOW_GM_SIZE, low.used(), low.total() - low.used()),
                new Pool("high_gm", hiddenSize, HOST_HIGH_GM_SIZE, high.used(), high.total() - high.used()),
                new Pool("fence", totalFences, HOST_FENCE, fences.cardinality() - HOST_FENCE, fencesFree()));
    }

    @Override
    public synchronized List<VgpuSlice> vgpus() {
        List<VgpuSlice> slices = new ArrayList<>();
        vgpus.forEach((uuid, v) -> slices.add(new VgpuSlice(uuid, v.id(), v.type.name(generation), v.lowBase,
                v.type.lowGm(), v.highBase, v.type.highGm(), v.fenceBase, v.type.fences())));
        return slices;
    }

    @Deactivate
    synchronized void deactivate() {
        for (VgpuDevice v : vgpus.values()) {
            v.markRemoved();
        }
        vgpus.clear();
    }
}
