package mdev.sysfs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mdev.testkit.FakeBus;

/** The tree mounted over FUSE, used through ordinary file calls as tools use sysfs. */
class FuseMountTest {
    static final UUID U = UUID.fromString("4a0a190f-dcf3-4def-9342-c48768f0c940");

    @TempDir
    Path dir;

    final FakeBus bus = new FakeBus()
            .parent("0000:00:02.0", FakeBus.type("i915-GVTg_V5_4", "GVTg_V5_4", "low_gm_size: 128MB", 2))
            .parent("mtty", FakeBus.type("mtty-1", "Single port serial", "", 1000));
    SysfsMounter mount;
    Path sys;

    @BeforeEach
    void mount() {
        mount = SysfsMounter.mount(bus, dir.resolve("sys"));
        sys = mount.mountpoint();
    }

    @AfterEach
    void unmount() {
        mount.close();
        assertThat(SysfsMounter.isMounted(sys)).isFalse();
    }

    static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void readsWalkTheTreeAndFollowItsLinks() throws Exception {
        assertThat(SysfsMounter.isMounted(sys)).isTrue();
        try (Stream<Path> parents = Files.list(sys.resolve("class/mdev_bus"))) {
            assertThat(parents.map(p -> p.getFileName().toString())).containsExactly("0000:00:02.0", "mtty");
        }
        Path parent = sys.resolve("class/mdev_bus/0000:00:02.0");
        assertThat(Files.isSymbolicLink(parent)).isTrue();
        assertThat(parent.toRealPath()).isEqualTo(sys.resolve("devices/0000:00:02.0"));
        Path type = parent.resolve("mdev_supported_types/i915-GVTg_V5_4");
        assertThat(Files.readString(type.resolve("available_instances"))).isEqualTo("2\n");
        assertThat(Files.readString(type.resolve("description"))).isEqualTo("low_gm_size: 128MB\n");
        assertThat(perms(type)).isEqualTo("rwxr-xr-x");
        assertThat(perms(type.resolve("name"))).isEqualTo("r--r--r--");
        assertThat(perms(type.resolve("create"))).isEqualTo("-w-------");
        assertThat(Files.size(type.resolve("name"))).isEqualTo(4096);
    }

    @Test
    void createRemoveAndAttributesThroughFiles() throws Exception {
        Path type = sys.resolve("class/mdev_bus/mtty/mdev_supported_types/mtty-1");
        Files.writeString(type.resolve("create"), U + "\n");
        assertThat(bus.get(U)).isPresent();
        Path device = sys.resolve("bus/mdev/devices/" + U);
        assertThat(device.toRealPath()).isEqualTo(sys.resolve("devices/mtty/" + U));
        assertThat(device.resolve("mdev_type").toRealPath().getFileName().toString()).isEqualTo("mtty-1");
        assertThat(device.resolve("driver").toRealPath()).isEqualTo(sys.resolve("bus/mdev/drivers/vfio_mdev"));
        assertThat(sys.resolve("bus/mdev/drivers/vfio_mdev/" + U).toRealPath()).isEqualTo(sys.resolve("devices/mtty/" + U));
        assertThat(perms(device.resolve("remove"))).isEqualTo("-w-------");
        assertThat(perms(device.resolve("assign_domain"))).isEqualTo("rw-r--r--");
        Files.writeString(device.resolve("assign_domain"), "0x47");
        assertThat(Files.readString(device.resolve("assign_domain"))).isEqualTo("0x47\n");
        // a failed store is what write(2) returns
        assertThatThrownBy(() -> Files.writeString(device.resolve("assign_domain"), FakeBus.REJECTED_VALUE))
                .isInstanceOf(IOException.class).hasMessageContaining("Invalid argument");
        assertThatThrownBy(() -> Files.writeString(type.resolve("create"), U.toString()))
                .isInstanceOf(IOException.class).hasMessageContaining("File exists");
        assertThatThrownBy(() -> Files.readString(device.resolve("remove"))).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> Files.writeString(type.resolve("name"), "x")).isInstanceOf(AccessDeniedException.class);
        assertThatThrownBy(() -> Files.createDirectory(sys.resolve("devices/new"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> Files.delete(device.resolve("remove"))).isInstanceOf(IOException.class);
        Files.writeString(device.resolve("remove"), "1\n");
        assertThat(bus.get(U)).isEmpty();
        assertThat(Files.exists(device)).isFalse();
    }

    @Test
    void anOpenFileShowsOneValueAcrossItsReads() throws Exception {
        // read "100" of "1000\n", a device made meanwhile (999), then the rest: still "0\n"
        // (a show per read gave "100" + "\n" of "999\n", or worse)
        Path file = sys.resolve("devices/mtty/mdev_supported_types/mtty-1/available_instances");
        try (var channel = java.nio.channels.FileChannel.open(file)) {
            java.nio.ByteBuffer first = java.nio.ByteBuffer.allocate(3);
            assertThat(channel.read(first)).isEqualTo(3);
            bus.create("mtty", "mtty-1", U);
            java.nio.ByteBuffer rest = java.nio.ByteBuffer.allocate(16);
            channel.read(rest);
            assertThat(new String(first.array(), 0, 3) + new String(rest.array(), 0, rest.position()))
                    .isEqualTo("1000\n");
        }
        assertThat(Files.readString(file)).as("a new open shows the new value").isEqualTo("999\n");
        bus.remove(U);
    }

    @Test
    void theTreeIsLiveWhileAnotherThreadCreatesAndRemoves() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        Thread churn = new Thread(() -> {
            try {
                for (int i = 0; i < 300; i++) {
                    UUID u = new UUID(0x1234L, i);
                    bus.create("mtty", "mtty-1", u);
                    bus.remove(u);
                }
            } catch (Throwable e) {
                failures.add(e);
            } finally {
                done.set(true);
            }
        });
        List<Thread> readers = new ArrayList<>();
        for (int r = 0; r < 4; r++) {
            readers.add(new Thread(() -> {
                try {
                    while (!done.get()) {
                        String instances = Files.readString(sys.resolve("devices/mtty/mdev_supported_types/mtty-1/available_instances"));
                        assertThat(instances).matches("(1000|999)\n");
                        try (Stream<Path> devices = Files.list(sys.resolve("bus/mdev/devices"))) {
                            for (Path d : devices.toList()) {
                                try {
                                    assertThat(d.resolve("mdev_type").toRealPath().getFileName().toString()).isEqualTo("mtty-1");
                                } catch (java.nio.file.NoSuchFileException gone) {
                                    // removed between the listing and the lookup, as in sysfs
                                }
                            }
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        readers.forEach(Thread::start);
        churn.start();
        churn.join(60_000);
        for (Thread t : readers) {
            t.join(60_000);
        }
        assertThat(failures).isEmpty();
        assertThat(Files.readString(sys.resolve("devices/mtty/mdev_supported_types/mtty-1/available_instances"))).isEqualTo("1000\n");
    }

    @Test
    void aMountPointThatCannotBeMadeFailsWithMkdirsErrno() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "not a directory");
        assertThatThrownBy(() -> SysfsMounter.mount(bus, file))
                .isInstanceOfSatisfying(mdev.core.ErrnoException.class,
                        e -> assertThat(e.errno()).isEqualTo(mdev.core.Errno.ENOTDIR))
                .hasMessageContaining(file.toString());
        Path under = file.resolve("sys");
        assertThatThrownBy(() -> SysfsMounter.mount(bus, under))
                .isInstanceOfSatisfying(mdev.core.ErrnoException.class,
                        e -> assertThat(e.errno()).isNotEqualTo(mdev.core.Errno.EIO))
                .hasMessageContaining(under.toString());
    }

    @Test
    void aStaleMountIsReplaced() throws Exception {
        // a second mount on the same directory while the first is up: the first is detached
        SysfsMounter second = SysfsMounter.mount(bus, sys);
        try {
            assertThat(Files.readString(sys.resolve("devices/mtty/mdev_supported_types/mtty-1/name")))
                    .isEqualTo("Single port serial\n");
        } finally {
            second.close();
        }
    }
}
