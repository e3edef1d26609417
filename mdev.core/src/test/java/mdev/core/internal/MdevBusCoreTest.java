package mdev.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevAttribute;
import mdev.core.MdevAttributeInfo;
import mdev.core.MdevBusListener;
import mdev.core.MdevClassDriver;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevType;
import mdev.core.MdevTypeSpec;

class MdevBusCoreTest {
    static final MdevTypeSpec ONE = new MdevTypeSpec("1", "one", "a device", "vfio-pci");

    /** A parent with a fixed number of slots; its behaviour can be switched per test. */
    static final class FakeParent implements MdevParent {
        final String name;
        int free = 2;
        boolean setClassId = true;
        boolean setOps = true;
        ErrnoException failRemove;
        final List<UUID> removed = new ArrayList<>();
        /** A per-device text written by "label" (read-write), "kick" (write-only), "uuid" (read-only). */
        final java.util.Map<UUID, String> labels = new java.util.HashMap<>();

        FakeParent(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String driverName() {
            return "fake";
        }

        @Override
        public List<MdevTypeSpec> supportedTypes() {
            return List.of(ONE);
        }

        @Override
        public long availableInstances(MdevTypeSpec type) {
            return free;
        }

        @Override
        public void create(MdevTypeSpec type, MdevDevice device) {
            if (free == 0) {
                throw new ErrnoException(Errno.ENOSPC, "no slot for " + device.uuid());
            }
            free--;
            if (setClassId) {
                device.setClassId(MdevClassId.VFIO);
            }
            if (setOps) {
                device.setDeviceOps(new Object());
            }
        }

        @Override
        public List<MdevAttribute> deviceAttributes() {
            return List.of(new MdevAttribute() {
                public String name() {
                    return "label";
                }

                public boolean writable() {
                    return true;
                }

                public String show(MdevDevice device) {
                    return labels.getOrDefault(device.uuid(), "") + "\n";
                }

                public void store(MdevDevice device, String value) {
                    if (value.isBlank()) {
                        throw new ErrnoException(Errno.EINVAL, "empty label");
                    }
                    labels.put(device.uuid(), value.strip());
                }
            }, new MdevAttribute() {
                public String name() {
                    return "kick";
                }

                public boolean readable() {
                    return false;
                }

                public boolean writable() {
                    return true;
                }

                public void store(MdevDevice device, String value) {
                    throw new IllegalStateException("vendor bug");
                }
            }, new MdevAttribute() {
                public String name() {
                    return "uuid";
                }

                public String show(MdevDevice device) {
                    return device.uuid() + "\n";
                }
            });
        }

        @Override
        public void remove(MdevDevice device) {
            if (failRemove != null) {
                throw failRemove;
            }
            free++;
            removed.add(device.uuid());
        }
    }

    static final class FakeDriver implements MdevClassDriver {
        final Set<UUID> bound = new HashSet<>();

        @Override
        public void bind(MdevDevice device) {
            bound.add(device.uuid());
        }

        @Override
        public void unbind(MdevDevice device) {
            bound.remove(device.uuid());
        }
    }

    final Set<UUID> published = new HashSet<>();
    final MdevBusCore bus = new MdevBusCore(new DevicePublisher() {
        @Override
        public Object publish(MdevDeviceImpl device) {
            published.add(device.uuid());
            return device.uuid();
        }

        @Override
        public void unpublish(Object token) {
            published.remove(token);
        }
    });
    final FakeParent parent = new FakeParent("p0");
    final FakeDriver driver = new FakeDriver();
    final UUID a = UUID.fromString("00000000-0000-0000-0000-00000000000a");
    final UUID b = UUID.fromString("00000000-0000-0000-0000-00000000000b");

    @BeforeEach
    void setUp() {
        bus.addParent(parent);
    }

    static void assertErrno(Errno errno, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(errno));
    }

    @Test
    void typesAreNamedDriverDashNameWithLiveAvailableInstances() {
        assertThat(bus.types("p0")).containsExactly(new MdevType("fake-1", "p0", "one", "a device", "vfio-pci", 2));
        bus.create("p0", "fake-1", a);
        assertThat(bus.types("p0").get(0).availableInstances()).isEqualTo(1);
        assertErrno(Errno.ENODEV, () -> bus.types("nope"));
    }

    @Test
    void createPublishesTheDevice() {
        MdevDevice d = bus.create("p0", "fake-1", a);
        assertThat(d.uuid()).isEqualTo(a);
        assertThat(d.parent()).isEqualTo("p0");
        assertThat(d.type()).isEqualTo("fake-1");
        assertThat(d.classId()).isEqualTo(MdevClassId.VFIO);
        assertThat(published).containsExactly(a);
        assertThat(bus.devices()).containsExactly(d);
    }

    @Test
    void createAnswersEexistForAUuidAnywhereOnTheBus() {
        FakeParent other = new FakeParent("p1");
        bus.addParent(other);
        bus.create("p0", "fake-1", a);
        assertErrno(Errno.EEXIST, () -> bus.create("p1", "fake-1", a));
        assertThat(other.free).isEqualTo(2);
    }

    @Test
    void createAnswersEnodevForAMissingParentAndEinvalForAnUnknownType() {
        assertErrno(Errno.ENODEV, () -> bus.create("p9", "fake-1", a));
        assertErrno(Errno.EINVAL, () -> bus.create("p0", "fake-7", a));
        assertErrno(Errno.EINVAL, () -> bus.create("p0", "mtty-1", a));
        assertThat(bus.devices()).isEmpty();
    }

    @Test
    void theVendorsErrnoReachesTheCallerAndNothingStays() {
        parent.free = 0;
        assertErrno(Errno.ENOSPC, () -> bus.create("p0", "fake-1", a));
        assertThat(bus.devices()).isEmpty();
        assertThat(published).isEmpty();
    }

    @Test
    void aCreateThatSetsNoClassIdOrNoOpsFailsWithEinvalAndIsUndone() {
        parent.setClassId = false;
        assertErrno(Errno.EINVAL, () -> bus.create("p0", "fake-1", a));
        assertThat(parent.removed).containsExactly(a);
        assertThat(parent.free).isEqualTo(2);
        parent.setClassId = true;
        parent.setOps = false;
        assertErrno(Errno.EINVAL, () -> bus.create("p0", "fake-1", b));
        assertThat(parent.removed).containsExactly(a, b);
        assertThat(bus.devices()).isEmpty();
        assertThat(published).isEmpty();
    }

    @Test
    void classIdAndOpsCanOnlyBeSetDuringCreate() {
        MdevDevice d = bus.create("p0", "fake-1", a);
        assertErrno(Errno.EBUSY, () -> d.setClassId(MdevClassId.VIRTIO));
        assertErrno(Errno.EBUSY, () -> d.setDeviceOps(new Object()));
        assertErrno(Errno.EINVAL, () -> d.setClassId(0));
    }

    @Test
    void removeAnswersEnodevForAnUnknownUuidAndEbusyWhileOpen() {
        assertErrno(Errno.ENODEV, () -> bus.remove(a));
        MdevDevice d = bus.create("p0", "fake-1", a);
        d.acquire();
        assertErrno(Errno.EBUSY, () -> bus.remove(a));
        assertThat(bus.device(a)).isPresent();
        d.release();
        bus.remove(a);
        assertThat(bus.device(a)).isEmpty();
        assertThat(published).isEmpty();
        assertThat(d.isRemoved()).isTrue();
        assertErrno(Errno.ENODEV, d::acquire);
    }

    @Test
    void aVendorRemoveThatFailsLeavesTheDeviceInPlace() {
        MdevDevice d = bus.create("p0", "fake-1", a);
        bus.addClassDriver(MdevClassId.VFIO, driver);
        parent.failRemove = new ErrnoException(Errno.EAGAIN, "busy inside");
        assertErrno(Errno.EAGAIN, () -> bus.remove(a));
        assertThat(bus.device(a)).contains(d);
        assertThat(published).containsExactly(a);
        assertThat(driver.bound).containsExactly(a);
        d.acquire();
        d.release();
    }

    @Test
    void removeUnbindsTheClassDriverBeforeTheVendorFreesTheDevice() {
        // mdev_device_remove_common: device_del (the class driver lets go), then parent->ops->remove
        List<String> order = new ArrayList<>();
        bus.addClassDriver(MdevClassId.VFIO, new MdevClassDriver() {
            @Override
            public void bind(MdevDevice device) {
                order.add("bind");
            }

            @Override
            public void unbind(MdevDevice device) {
                order.add("unbind, vendor state " + (parent.removed.contains(device.uuid()) ? "freed" : "there"));
            }
        });
        bus.create("p0", "fake-1", a);
        bus.remove(a);
        assertThat(order).containsExactly("bind", "unbind, vendor state there");
        assertThat(parent.removed).containsExactly(a);
    }

    @Test
    void aClassDriverBindsWaitingDevicesAndLaterOnes() {
        bus.create("p0", "fake-1", a);
        assertThat(bus.isBound(a)).isFalse();
        bus.addClassDriver(MdevClassId.VFIO, driver);
        assertThat(driver.bound).containsExactly(a);
        bus.create("p0", "fake-1", b);
        assertThat(driver.bound).containsExactlyInAnyOrder(a, b);
        bus.remove(a);
        assertThat(driver.bound).containsExactly(b);
    }

    @Test
    void aDriverOfAnotherClassBindsNothing() {
        bus.create("p0", "fake-1", a);
        bus.addClassDriver(MdevClassId.VIRTIO, driver);
        assertThat(driver.bound).isEmpty();
    }

    @Test
    void aDriverThatLeavesUnbindsAndTheNextOneTakesOver() {
        FakeDriver second = new FakeDriver();
        bus.addClassDriver(MdevClassId.VFIO, driver);
        bus.addClassDriver(MdevClassId.VFIO, second);
        bus.create("p0", "fake-1", a);
        assertThat(driver.bound).containsExactly(a);
        assertThat(second.bound).isEmpty();
        bus.removeClassDriver(driver);
        assertThat(driver.bound).isEmpty();
        assertThat(second.bound).containsExactly(a);
        bus.removeClassDriver(second);
        assertThat(bus.isBound(a)).isFalse();
        assertThat(bus.device(a)).isPresent();
    }

    @Test
    void aParentThatLeavesRemovesItsDevicesOpenOnesIncluded() {
        bus.addClassDriver(MdevClassId.VFIO, driver);
        MdevDevice open = bus.create("p0", "fake-1", a);
        bus.create("p0", "fake-1", b);
        open.acquire();
        bus.removeParent(parent);
        assertThat(bus.devices()).isEmpty();
        assertThat(published).isEmpty();
        assertThat(driver.bound).isEmpty();
        assertThat(parent.removed).containsExactlyInAnyOrder(a, b);
        assertThat(bus.parents()).isEmpty();
        assertErrno(Errno.ENODEV, () -> bus.create("p0", "fake-1", a));
    }

    @Test
    void aSecondParentWithTheSameNameWaitsForTheFirstToLeave() {
        FakeParent twin = new FakeParent("p0");
        bus.addParent(twin);
        bus.create("p0", "fake-1", a);
        assertThat(parent.free).isEqualTo(1);
        bus.removeParent(parent);
        assertThat(bus.parents()).containsExactly("p0");
        bus.create("p0", "fake-1", b);
        assertThat(twin.free).isEqualTo(1);
    }

    @Test
    void listenersHearParentsComeAndGoOutsideTheBusLock() {
        List<String> heard = new ArrayList<>();
        MdevBusListener listener = new MdevBusListener() {
            @Override
            public void parentRegistered(String name) {
                // a listener may use the bus at once: the lock is not held
                heard.add("+" + name + " " + bus.types(name).size());
            }

            @Override
            public void parentUnregistered(String name) {
                heard.add("-" + name);
            }
        };
        bus.addListener(listener);
        FakeParent twin = new FakeParent("p0");
        bus.addParent(twin);           // waits: nothing announced
        bus.addParent(new FakeParent("p1"));
        bus.removeParent(parent);      // p0 leaves, its twin takes the name
        bus.removeListener(listener);
        bus.removeParent(twin);
        assertThat(heard).containsExactly("+p1 1", "-p0", "+p0 1");
    }

    @Test
    void aFailingListenerDoesNotStopTheBus() {
        bus.addListener(name -> {
            throw new IllegalStateException("broken listener");
        });
        bus.addParent(new FakeParent("p1"));
        assertThat(bus.parents()).containsExactly("p0", "p1");
    }

    @Test
    void shutdownRemovesEverything() {
        bus.addClassDriver(MdevClassId.VFIO, driver);
        bus.create("p0", "fake-1", a);
        bus.shutdown();
        assertThat(bus.devices()).isEmpty();
        assertThat(driver.bound).isEmpty();
        assertThat(published).isEmpty();
    }

    @Test
    void concurrentCreatesOfOneUuidLetExactlyOneWin() throws Exception {
        parent.free = 100;
        int threads = 8;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        java.util.concurrent.atomic.AtomicInteger wins = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger eexist = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> all = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                try {
                    start.await();
                    bus.create("p0", "fake-1", a);
                    wins.incrementAndGet();
                } catch (ErrnoException e) {
                    if (e.errno() == Errno.EEXIST) {
                        eexist.incrementAndGet();
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            all.add(t);
            t.start();
        }
        for (Thread t : all) {
            t.join(10_000);
        }
        assertThat(wins.get()).isEqualTo(1);
        assertThat(eexist.get()).isEqualTo(threads - 1);
        assertThat(parent.free).isEqualTo(99);
    }

    @Test
    void errnoExceptionPrintsAsErrnoColonMessage() {
        ErrnoException e = new ErrnoException(Errno.ENOSPC, "no room");
        assertThat(e).hasToString("ENOSPC: no room");
        assertThat(e.negativeErrno()).isEqualTo(-28);
        assertThat(Errno.of(16)).isEqualTo(Errno.EBUSY);
    }

    @Test
    void deviceAttributesAreTheParentsReadAndWrittenAsText() {
        bus.create("p0", "fake-1", a);
        bus.create("p0", "fake-1", b);
        assertThat(bus.attributes(a)).containsExactly("label", "kick", "uuid");
        assertThat(bus.attributeInfo(a)).containsExactly(new MdevAttributeInfo("label", true, true),
                new MdevAttributeInfo("kick", false, true), new MdevAttributeInfo("uuid", true, false));
        assertThat(bus.attributeInfo(a)).extracting(MdevAttributeInfo::mode).containsExactly(0644, 0200, 0444);
        bus.writeAttribute(a, "label", "disk0\n");
        assertThat(bus.readAttribute(a, "label")).isEqualTo("disk0\n");
        assertThat(bus.readAttribute(b, "label")).as("per device").isEqualTo("\n");
        assertThat(bus.readAttribute(b, "uuid")).isEqualTo(b + "\n");
        assertErrno(Errno.EINVAL, () -> bus.writeAttribute(a, "label", "\n"));
        assertThat(bus.readAttribute(a, "label")).as("a failed store changes nothing").isEqualTo("disk0\n");
        assertErrno(Errno.EACCES, () -> bus.readAttribute(a, "kick"));
        assertErrno(Errno.EACCES, () -> bus.writeAttribute(a, "uuid", "x"));
        assertErrno(Errno.EIO, () -> bus.writeAttribute(a, "kick", "1"));
        assertErrno(Errno.ENOENT, () -> bus.readAttribute(a, "nope"));
        bus.remove(a);
        assertErrno(Errno.ENODEV, () -> bus.readAttribute(a, "label"));
        assertErrno(Errno.ENODEV, () -> bus.attributes(a));
        assertErrno(Errno.ENODEV, () -> bus.attributeInfo(a));
    }
}
