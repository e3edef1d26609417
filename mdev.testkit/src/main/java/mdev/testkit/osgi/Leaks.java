package mdev.testkit.osgi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import mdev.core.MdevBus;
import mdev.core.MdevDevice;

/**
 * What a test must give back: the devices on the bus, their opens, the process's file
 * descriptors (/proc/self/fd) and its threads. {@link #assertNoneSince} compares with a
 * snapshot taken before, letting things settle a moment (threads end, descriptors close) before
 * it fails naming what is left.
 */
public final class Leaks {
    /** Threads of the JVM, of pools that come and go on their own, and singletons a library starts once (JNA's cleaner), not counted. */
    private static final Set<String> IGNORED_THREAD_PREFIXES = Set.of("ForkJoinPool", "qtp", "Attach Listener",
            "process reaper", "Common-Cleaner", "HttpClient", "Timer-", "pool-", "JNA Cleaner");

    private Leaks() {
    }

    /**
     * What the host held at one moment: devices, their opens, the process's open files by what
     * they are (readlink of /proc/self/fd/N; jar files aside, which a framework opens once when a
     * bundle's classes first load) and its threads.
     */
    public record Snapshot(Set<UUID> devices, long opens, List<String> descriptors, Set<String> threads) {
    }

    static Snapshot snapshot(MdevBus bus) {
        Set<UUID> devices = bus.devices().stream().map(MdevDevice::uuid).collect(Collectors.toCollection(TreeSet::new));
        long opens = bus.devices().stream().mapToLong(MdevDevice::openCount).sum();
        return new Snapshot(devices, opens, descriptors(), threads());
    }

    private static List<String> descriptors() {
        List<String> targets = new ArrayList<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (!target.endsWith(".jar")) {
                        targets.add(target);
                    }
                } catch (IOException closedMeanwhile) {
                    // the listing's own descriptor, or one closed since
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        targets.sort(null);
        return targets;
    }

    /** A UNIX socket's bound path and state from /proc/net/unix ("socket:[N]" says only its inode). */
    static String describe(String target) {
        if (!target.startsWith("socket:[")) {
            return target;
        }
        String inode = target.substring("socket:[".length(), target.length() - 1);
        try (Stream<String> lines = Files.lines(Path.of("/proc/net/unix"))) {
            return lines.map(l -> l.trim().split("\\s+")).filter(f -> f.length >= 7 && f[6].equals(inode)).findFirst()
                    .map(f -> target + " (unix, state " + f[5] + (f.length > 7 ? ", " + f[7] : ", unnamed") + ")")
                    .orElse(target);
        } catch (IOException e) {
            return target;
        }
    }

    private static Set<String> threads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .filter(t -> IGNORED_THREAD_PREFIXES.stream().noneMatch(p -> t.getName().startsWith(p)))
                .map(t -> t.getName() + "#" + t.getId()).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Fails naming what {@code host} holds now that it did not hold at {@code before}, after up to {@code settle}. */
    public static void assertNoneSince(MdevHost host, Snapshot before, Duration settle) {
        long deadline = System.nanoTime() + settle.toNanos();
        String left;
        while (true) {
            left = difference(before, host.snapshot());
            if (left.isEmpty() || System.nanoTime() > deadline) {
                break;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!left.isEmpty()) {
            throw new AssertionError("the test left " + left);
        }
    }

    static String difference(Snapshot before, Snapshot now) {
        StringBuilder left = new StringBuilder();
        Set<UUID> devices = new TreeSet<>(now.devices());
        devices.removeAll(before.devices());
        if (!devices.isEmpty()) {
            left.append("devices ").append(devices).append("; ");
        }
        if (now.opens() > before.opens()) {
            left.append(now.opens() - before.opens()).append(" device open(s); ");
        }
        List<String> descriptors = new ArrayList<>(now.descriptors());
        before.descriptors().forEach(descriptors::remove);
        if (!descriptors.isEmpty()) {
            left.append("file descriptors ").append(descriptors.stream().map(Leaks::describe).toList()).append("; ");
        }
        Set<String> threads = new TreeSet<>(now.threads());
        threads.removeAll(before.threads());
        if (!threads.isEmpty()) {
            left.append("threads ").append(threads).append("; ");
        }
        return left.length() == 0 ? "" : left.substring(0, left.length() - 2);
    }
}
