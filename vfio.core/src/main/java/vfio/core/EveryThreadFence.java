package vfio.core;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * A store-load fence run on every Java thread at once, the JVM's counterpart of Linux's
 * membarrier(2): HotSpot takes a thread dump in a VM operation at a global safepoint, and every
 * thread reaching it (or found in native or blocked code) has fenced its memory on the way. A dump
 * of depth 0 collects no frames (about 80 us). Available on HotSpot only. The rare side of an
 * asymmetric protocol runs it so that the common side needs no atomic: {@link InFlight}'s closer,
 * virtio.core's revocation of a biased kick lock.
 */
public final class EveryThreadFence {
    private static final ThreadMXBean THREADS = hotSpotThreads();

    private EveryThreadFence() {
    }

    public static boolean available() {
        return THREADS != null;
    }

    /** Returns once every thread has passed a full fence after the call began. */
    public static void run() {
        THREADS.dumpAllThreads(false, false, 0);
    }

    private static ThreadMXBean hotSpotThreads() {
        String vm = System.getProperty("java.vm.name", "");
        if (!vm.contains("HotSpot") && !vm.startsWith("OpenJDK")) {
            return null;
        }
        try {
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            threads.dumpAllThreads(false, false, 0);
            return threads;
        } catch (RuntimeException | LinkageError noManagement) {
            return null;
        }
    }
}
