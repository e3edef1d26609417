package samples.mbochs.internal;

import mdev.core.MdevTypeSpec;
import vfio.core.Vfio;

/** An mbochs type: video memory and the largest resolution its EDID may ask for (0: no limit). */
record MbochsType(MdevTypeSpec spec, int mbytes, int maxX, int maxY) {
    static final MbochsType SMALL = of("small", 4, 800, 600);
    static final MbochsType MEDIUM = of("medium", 16, 1920, 1440);
    static final MbochsType LARGE = of("large", 64, 0, 0);

    private static MbochsType of(String name, int mbytes, int maxX, int maxY) {
        String limit = maxX == 0 ? "any resolution" : "up to " + maxX + "x" + maxY;
        return new MbochsType(new MdevTypeSpec(name, "mbochs-" + name, "virtual display, " + mbytes + " MB video memory, " + limit,
                Vfio.VFIO_DEVICE_API_PCI_STRING), mbytes, maxX, maxY);
    }

    /** Whether the type's EDID may ask for {@code width x height}. */
    boolean allows(int width, int height) {
        return width >= 64 && height >= 64 && width <= 16384 && height <= 16384
                && (maxX == 0 || (width <= maxX && height <= maxY))
                && (long) width * height * 4 <= (long) mbytes << 20;
    }
}
