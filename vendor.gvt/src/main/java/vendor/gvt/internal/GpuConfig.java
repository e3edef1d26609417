package vendor.gvt.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One simulated physical GPU (factory configuration {@code vendor.gvt.gpu}). Property names
 * follow DS's mapping of the method names: {@code parent}, {@code generation},
 * {@code aperture.mb}, {@code hidden.mb}, {@code fences}, {@code device.id}.
 */
@ObjectClassDefinition(name = "GVT-g physical GPU", description = "A simulated Intel GPU with GVT-g")
@interface GpuConfig {
    @AttributeDefinition(description = "Parent device name, the GPU's PCI address")
    String parent() default "0000:00:02.0";

    @AttributeDefinition(description = "BDW (gen 8, GVTg_V4_*) or SKL (gen 9, GVTg_V5_*)")
    String generation() default "SKL";

    @AttributeDefinition(description = "Aperture (low, mappable) graphics memory in MB")
    int aperture_mb() default 512;

    @AttributeDefinition(description = "Hidden (high) graphics memory in MB")
    int hidden_mb() default 3584;

    @AttributeDefinition(description = "Fence registers")
    int fences() default 32;

    @AttributeDefinition(description = "PCI device id")
    int device_id() default 0x1912;
}
