package vfio.core.internal;

import java.util.Map;

import vfio.core.VfioService;
import vfio.type1.internal.Type1Driver;

/** VFIO as the framework assembles it (vfio.core with the type1 driver), for benchmarks outside OSGi. */
public final class BenchVfio {
    private BenchVfio() {
    }

    public static VfioService withType1() {
        VfioCore vfio = new VfioCore();
        vfio.bindIommuDriver(new Type1Driver(Map.of()));
        return vfio;
    }
}
