package mdev.mdevctl.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import mdev.core.MdevBus;
import mdev.core.MdevClassId;
import mdev.core.MdevDevice;
import mdev.core.MdevParent;
import mdev.core.MdevTypeSpec;
import mdev.core.internal.BusBenchAccess;

/**
 * A vendor's parent arriving on a host with N auto-start definitions of it (what mdevctl's
 * start-parent-mdevs does when a vendor bundle starts): the bus gets the parent and every
 * definition becomes a device. Against a baseline in the same run: reading the N definition
 * files alone. Linear when 1000 definitions cost about 4 times 250.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(1)
@Warmup(iterations = 10)
@Measurement(iterations = 20)
public class AutoStartBench {
    @Param({ "250", "1000" })
    int definitions;

    Path root;
    MdevBus bus;
    MdevctlEngine engine;

    /** A parent with room for every definition, whose devices hold no state. */
    static final class BenchParent implements MdevParent {
        static final MdevTypeSpec WQ = new MdevTypeSpec("wq", "work queue", "", "vfio-pci");

        @Override
        public String name() {
            return "bench";
        }

        @Override
        public List<MdevTypeSpec> supportedTypes() {
            return List.of(WQ);
        }

        @Override
        public long availableInstances(MdevTypeSpec type) {
            return 100_000;
        }

        @Override
        public void create(MdevTypeSpec type, MdevDevice device) {
            device.setClassId(MdevClassId.VFIO);
            device.setDeviceOps(this);
        }

        @Override
        public void remove(MdevDevice device) {
        }
    }

    @Setup(Level.Trial)
    public void writeDefinitions() throws IOException {
        root = Files.createTempDirectory("autostart-bench");
        Path dir = Files.createDirectories(root.resolve("etc/mdevctl.d/bench"));
        for (int i = 0; i < definitions; i++) {
            Files.writeString(dir.resolve(new UUID(0x4a0a190fL << 32, i).toString()),
                    "{\"mdev_type\": \"bench-wq\", \"start\": \"auto\", \"attrs\": []}\n", StandardCharsets.UTF_8);
        }
    }

    @Setup(Level.Invocation)
    public void freshHost() {
        bus = BusBenchAccess.newBus();
        engine = new MdevctlEngine(bus, new DefinitionStore(root, message -> { }), message -> { });
    }

    /** The vendor's parent arrives and its auto-start definitions start. */
    @Benchmark
    public int startVendorWithAutoStartDefinitions() {
        BusBenchAccess.addParent(bus, new BenchParent());
        int started = engine.startParentDevices("bench");
        if (started != definitions) {
            throw new IllegalStateException(started + " of " + definitions + " started");
        }
        return started;
    }

    /** Baseline: reading and parsing the definition files, nothing started. */
    @Benchmark
    public int baselineReadDefinitions() {
        return new DefinitionStore(root, message -> { }).list().size();
    }

    @TearDown(Level.Trial)
    public void removeDefinitions() throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
