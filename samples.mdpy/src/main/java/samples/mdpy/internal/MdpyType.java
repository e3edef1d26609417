package samples.mdpy.internal;

import mdev.core.MdevTypeSpec;
import vfio.core.Vfio;

/** An mdpy type: its one display mode, 32 bits per pixel (XRGB8888). */
record MdpyType(MdevTypeSpec spec, int width, int height) {
    static final MdpyType VGA = of("vga", 640, 480);
    static final MdpyType XGA = of("xga", 1024, 768);
    static final MdpyType HD = of("hd", 1920, 1080);

    private static MdpyType of(String name, int width, int height) {
        return new MdpyType(new MdevTypeSpec(name, "mdpy-" + name, "virtual display, " + width + "x" + height
                + " framebuffer", Vfio.VFIO_DEVICE_API_PCI_STRING), width, height);
    }
}
