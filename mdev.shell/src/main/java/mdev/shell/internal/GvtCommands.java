package mdev.shell.internal;

import java.util.List;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import org.apache.felix.service.command.Descriptor;

import vendor.gvt.GvtGpu;

/** {@code gvt:*}: the simulated GVT-g GPUs, their pools and their vGPUs' slices. */
@Component(service = GvtCommands.class, property = {
        "osgi.command.scope=gvt",
        "osgi.command.function=pools" })
public final class GvtCommands {
    static final long MB = 1 << 20;

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    volatile List<GvtGpu> gpus;

    @Descriptor("show each GPU's pools (used/free) and each vGPU's slice")
    public void pools() {
        for (GvtGpu gpu : gpus) {
            System.out.println(gpu.name() + " (" + gpu.generation() + ")");
            for (GvtGpu.Pool p : gpu.pools()) {
                boolean gm = !p.name().equals("fence");
                System.out.println("  " + p.name() + ": " + size(p.total(), gm) + " total, " + size(p.hostReserved(), gm)
                        + " host, " + size(p.used(), gm) + " used, " + size(p.free(), gm) + " free");
            }
            for (GvtGpu.VgpuSlice v : gpu.vgpus()) {
                System.out.printf("  vgpu %d %s %s: low 0x%x+%dMB high 0x%x+%dMB fences %d-%d%n", v.id(), v.uuid(), v.type(),
                        v.lowBase(), v.lowSize() / MB, v.highBase(), v.highSize() / MB, v.fenceBase(),
                        v.fenceBase() + v.fences() - 1);
            }
        }
    }

    private static String size(long value, boolean bytes) {
        return bytes ? (value / MB) + "MB" : Long.toString(value);
    }
}
