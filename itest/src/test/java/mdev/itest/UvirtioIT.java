package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import samples.uvirtio.UvirtioVga;
import samples.uvirtio.VirtioGpu;
import vfio.core.VmAddressSpace;
import virtio.core.Virtio;
import virtio.core.VirtioBus;
import virtio.uvirtio.Uvirtio;
import virtio.uvirtio.UvirtioFile;
import virtio.uvirtio.UvirtioSetup;

/** Issue 5 §3-5: /dev/uvirtio, the uvirtio-vga scenario, and hot-plug of virtio.uvirtio. */
class UvirtioIT extends BusTest {

    private <S> S service(Class<S> type) {
        Fixture.await(type.getSimpleName(), () -> context.getServiceReference(type) != null);
        return context.getService(context.getServiceReference(type));
    }

    private VirtioGpu gpuOrNull(String device) {
        try {
            for (ServiceReference<VirtioGpu> ref : context.getServiceReferences(VirtioGpu.class,
                    "(" + Virtio.DEVICE_NAME + "=" + device + ")")) {
                return context.getService(ref);
            }
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
        return null;
    }

    private VirtioGpu gpu(String device) {
        Fixture.await("virtio-gpu driver on " + device, () -> gpuOrNull(device) != null);
        return gpuOrNull(device);
    }

    @Test
    void theUvirtioVgaSampleReportsOneScanoutOf1024x768() {
        Uvirtio uvirtio = service(Uvirtio.class);
        String device = UvirtioVga.run(uvirtio, new VmAddressSpace("uvirtio-vga"), 1024, 768);
        List<VirtioGpu.Scanout> scanouts = gpu(device).displayInfo();
        assertThat(scanouts).containsExactly(new VirtioGpu.Scanout(0, 0, 0, 1024, 768, true));
        assertThat(uvirtio.devices()).as("STICK outlives the file").contains(device);
        uvirtio.remove(device);
        assertThat(gpuOrNull(device)).isNull();
    }

    @Test
    void anotherModeChosenByTheCaller() {
        Uvirtio uvirtio = service(Uvirtio.class);
        String device = UvirtioVga.run(uvirtio, new VmAddressSpace("uvirtio-vga"), 1280, 720);
        assertThat(gpu(device).displayInfo()).extracting(VirtioGpu.Scanout::width, VirtioGpu.Scanout::height)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1280, 720));
        uvirtio.remove(device);
    }

    @Test
    void aDeviceWithoutStickGoesWithItsFileAndIoctlsAfterCreateAreEinval() {
        Uvirtio uvirtio = service(Uvirtio.class);
        VirtioBus virtioBus = service(VirtioBus.class);
        UvirtioFile file = uvirtio.open(new VmAddressSpace("p"));
        String device = file.create(new UvirtioSetup(Virtio.bit(Virtio.F_VERSION_1), new byte[16], false, Virtio.ID_GPU));
        gpu(device);
        assertThatThrownBy(() -> file.create(new UvirtioSetup(Virtio.bit(Virtio.F_VERSION_1), new byte[16], false, 16)))
                .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        file.close();
        assertThat(virtioBus.devices()).doesNotContain(device);
        assertThat(gpuOrNull(device)).isNull();
    }

    @Test
    void stoppingVirtioUvirtioRemovesItsDevicesStickOnesToo() throws Exception {
        Bundle bundle = Fixture.bundle(context, "virtio.uvirtio");
        Uvirtio uvirtio = service(Uvirtio.class);
        String device = UvirtioVga.run(uvirtio, new VmAddressSpace("uvirtio-vga"), 1024, 768);
        VirtioGpu gpu = gpu(device);
        Fixture.stop(bundle);
        try {
            assertThat(gpuOrNull(device)).isNull();
            assertThat(service(VirtioBus.class).devices()).doesNotContain(device);
            assertThatThrownBy(gpu::displayInfo).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
        } finally {
            Fixture.start(bundle);
        }
        Uvirtio again = service(Uvirtio.class);
        String recreated = UvirtioVga.run(again, new VmAddressSpace("uvirtio-vga"), 800, 600);
        assertThat(gpu(recreated).displayInfo().get(0).width()).isEqualTo(800);
        again.remove(recreated);
    }

    @Test
    void stoppingTheGuestDriverBundleAndStartingItProbesAgain() {
        Bundle samples = Fixture.bundle(context, "samples.uvirtio");
        Uvirtio uvirtio = service(Uvirtio.class);
        String device = UvirtioVga.run(uvirtio, new VmAddressSpace("uvirtio-vga"), 1024, 768);
        gpu(device);
        Fixture.stop(samples);
        try {
            assertThat(gpuOrNull(device)).isNull();
            assertThat(service(VirtioBus.class).driverOf(device)).isEmpty();
        } finally {
            Fixture.start(samples);
        }
        assertThat(gpu(device).displayInfo()).hasSize(1);
        uvirtio.remove(device);
    }
}
