package mdev.sysfs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.UUID;

import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.sysfs.internal.SysfsTree.Attr;
import mdev.sysfs.internal.SysfsTree.Dir;
import mdev.sysfs.internal.SysfsTree.Link;
import mdev.testkit.FakeBus;

/** The layout, contents, modes and stores of the tree, without FUSE. */
class SysfsTreeTest {
    static final UUID U = UUID.fromString("4a0a190f-dcf3-4def-9342-c48768f0c940");

    final FakeBus bus = new FakeBus()
            .parent("0000:00:02.0", FakeBus.type("i915-GVTg_V5_4", "GVTg_V5_4", "low_gm_size: 128MB", 2))
            .parent("mtty", FakeBus.type("mtty-1", "", "", 24));
    final SysfsTree tree = new SysfsTree(bus);

    Object node(String path) {
        return tree.lookup(path).orElse(null);
    }

    String read(String path) {
        return ((Attr) node(path)).show().show();
    }

    void write(String path, String value) {
        ((Attr) node(path)).store().store(value);
    }

    void assertErrno(Errno errno, Runnable call) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void theLayoutMdevctlWalks() {
        assertThat(node("/")).isEqualTo(new Dir(java.util.List.of("bus", "class", "devices")));
        assertThat(node("/class/mdev_bus")).isEqualTo(new Dir(java.util.List.of("0000:00:02.0", "mtty")));
        assertThat(node("/class/mdev_bus/mtty")).isEqualTo(new Link("../../devices/mtty"));
        assertThat(node("/devices/mtty/mdev_supported_types")).isEqualTo(new Dir(java.util.List.of("mtty-1")));
        assertThat(node("/devices/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4")).isEqualTo(new Dir(
                java.util.List.of("name", "description", "device_api", "available_instances", "create", "devices")));
        assertThat(node("/devices/mtty/mdev_supported_types/mtty-1")).as("no name, no description: no files")
                .isEqualTo(new Dir(java.util.List.of("device_api", "available_instances", "create", "devices")));
        assertThat(read("/devices/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/name")).isEqualTo("GVTg_V5_4\n");
        assertThat(read("/devices/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/description")).isEqualTo("low_gm_size: 128MB\n");
        assertThat(read("/devices/mtty/mdev_supported_types/mtty-1/device_api")).isEqualTo("vfio-pci\n");
        assertThat(read("/devices/mtty/mdev_supported_types/mtty-1/available_instances")).isEqualTo("24\n");
        assertThat(((Attr) node("/devices/mtty/mdev_supported_types/mtty-1/create")).mode()).isEqualTo(0200);
        assertThat(((Attr) node("/devices/mtty/mdev_supported_types/mtty-1/device_api")).mode()).isEqualTo(0444);
        for (String missing : new String[] {"/sys", "/class/other", "/class/mdev_bus/none", "/devices/none",
            "/devices/mtty/mdev_supported_types/none", "/devices/mtty/" + U, "/bus/mdev/devices/" + U,
            "/devices/mtty/mdev_supported_types/mtty-1/name", "/devices/mtty/mdev_supported_types/mtty-1/create/x"}) {
            assertThat(node(missing)).as(missing).isNull();
        }
    }

    @Test
    void createDeviceFilesAndRemove() {
        write("/devices/mtty/mdev_supported_types/mtty-1/create", U + "\n");
        assertThat(read("/devices/mtty/mdev_supported_types/mtty-1/available_instances")).isEqualTo("23\n");
        assertThat(node("/bus/mdev/devices")).isEqualTo(new Dir(java.util.List.of(U.toString())));
        assertThat(node("/bus/mdev/devices/" + U)).isEqualTo(new Link("../../../devices/mtty/" + U));
        assertThat(node("/devices/mtty")).isEqualTo(new Dir(java.util.List.of("mdev_supported_types", U.toString())));
        assertThat(node("/devices/mtty/" + U)).isEqualTo(new Dir(java.util.List.of("driver", "mdev_type", "remove",
                "subsystem", "assign_adapter", "assign_domain", "reset", "state")));
        assertThat(node("/devices/mtty/" + U + "/driver")).isEqualTo(new Link("../../../bus/mdev/drivers/vfio_mdev"));
        assertThat(node("/devices/mtty/" + U + "/subsystem")).isEqualTo(new Link("../../../bus/mdev"));
        assertThat(node("/bus/mdev/drivers")).isEqualTo(new Dir(java.util.List.of("vfio_mdev")));
        assertThat(node("/bus/mdev/drivers/vfio_mdev")).isEqualTo(new Dir(java.util.List.of(U.toString())));
        assertThat(node("/bus/mdev/drivers/vfio_mdev/" + U)).isEqualTo(new Link("../../../../devices/mtty/" + U));
        assertThat(node("/bus/mdev/drivers/virtio_mdev")).isNull();
        assertThat(node("/devices/mtty/" + U + "/mdev_type")).isEqualTo(new Link("../mdev_supported_types/mtty-1"));
        assertThat(node("/devices/mtty/mdev_supported_types/mtty-1/devices/" + U)).isEqualTo(new Link("../../../" + U));
        assertThat(((Attr) node("/devices/mtty/" + U + "/assign_adapter")).mode()).isEqualTo(0644);
        assertThat(((Attr) node("/devices/mtty/" + U + "/reset")).mode()).isEqualTo(0200);
        assertThat(((Attr) node("/devices/mtty/" + U + "/state")).mode()).isEqualTo(0444);
        write("/devices/mtty/" + U + "/assign_adapter", "5");
        assertThat(read("/devices/mtty/" + U + "/assign_adapter")).isEqualTo("5\n");
        assertErrno(Errno.EINVAL, () -> write("/devices/mtty/" + U + "/assign_adapter", FakeBus.REJECTED_VALUE));
        assertErrno(Errno.EEXIST, () -> write("/devices/mtty/mdev_supported_types/mtty-1/create", U.toString()));
        write("/devices/mtty/" + U + "/remove", "0\n");
        assertThat(bus.get(U)).as("0 removes nothing").isPresent();
        assertErrno(Errno.EINVAL, () -> write("/devices/mtty/" + U + "/remove", "yes"));
        write("/devices/mtty/" + U + "/remove", "1\n");
        assertThat(bus.get(U)).isEmpty();
        assertThat(node("/devices/mtty/" + U)).isNull();
    }

    @Test
    void createTakesTheKernelsUuidText() {
        String create = "/devices/mtty/mdev_supported_types/mtty-1/create";
        assertErrno(Errno.EINVAL, () -> write(create, "4a0a190f-dcf3-4def-9342\n"));
        assertErrno(Errno.EINVAL, () -> write(create, "4a0a190f-dcf3-4def-9342-c48768f0c94x"));
        // create_store takes UUID_STRING_LEN or one more (the newline): no more
        assertErrno(Errno.EINVAL, () -> write(create, U + "\n\n"));
        assertErrno(Errno.EINVAL, () -> write(create, U + " trailing text"));
        assertThat(bus.get(U)).isEmpty();
        write(create, U.toString().toUpperCase() + "\n");
        assertThat(bus.get(U)).isPresent();
        assertThat(node("/devices/mtty/" + U.toString().toUpperCase())).as("names are lower case").isNull();
    }
}
