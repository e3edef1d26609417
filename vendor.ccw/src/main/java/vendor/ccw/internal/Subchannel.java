package vendor.ccw.internal;

import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * One subchannel of the simulated channel subsystem with its attached device. {@code online}
 * and {@code pathMask} are what ssch checks (cc 3 when the device or every path the ORB allows
 * is not operational); {@code delayMillis} holds a program before it runs, so tests can act
 * while I/O is in flight.
 */
final class Subchannel {
    private static final Pattern SCHID = Pattern.compile("[0-3]\\.[0-3]\\.[0-9a-f]{4}");

    private final String schid;
    private final BlockDevice device;
    private final boolean online;
    private final int installedPaths;
    /** The installed paths that are online (varied on); written under the parent's monitor. */
    private volatile int operationalPaths;
    private final long delayMillis;

    Subchannel(String schid, int capacity, boolean online, int pathMask, long delayMillis) {
        if (!SCHID.matcher(schid).matches()) {
            throw new IllegalArgumentException("subchannel id '" + schid + "' is not cssid.ssid.schno (0.0.0100)");
        }
        if (pathMask <= 0 || pathMask > 0xff) {
            throw new IllegalArgumentException("path mask " + pathMask + " of " + schid + " is not 1..0xff");
        }
        if (delayMillis < 0) {
            throw new IllegalArgumentException("delay " + delayMillis + " of " + schid + " is negative");
        }
        this.schid = schid;
        this.device = new BlockDevice(capacity);
        this.online = online;
        this.installedPaths = pathMask;
        this.operationalPaths = pathMask;
        this.delayMillis = delayMillis;
    }

    String schid() {
        return schid;
    }

    /** The device number: the schno part of the schid, as on a single-image system. */
    int deviceNumber() {
        return Integer.parseInt(schid.substring(4), 16);
    }

    BlockDevice device() {
        return device;
    }

    boolean online() {
        return online;
    }

    /** The paths ssch may use: installed and online. */
    int pathMask() {
        return operationalPaths;
    }

    int installedPaths() {
        return installedPaths;
    }

    /** Varies path {@code path} (0..7); returns whether its state changed. */
    boolean vary(int path, boolean online) {
        if (path < 0 || path > 7 || (installedPaths & (0x80 >> path)) == 0) {
            throw new ErrnoException(Errno.EINVAL, "subchannel " + schid + " has no path " + path
                    + " (installed paths 0x" + Integer.toHexString(installedPaths) + ")");
        }
        int bit = 0x80 >> path;
        int before = operationalPaths;
        operationalPaths = online ? before | bit : before & ~bit;
        return operationalPaths != before;
    }

    /** Holds the program the configured delay; HALT, CLEAR or removal ends the wait early. */
    void pause(BooleanSupplier cancelled) {
        long deadline = System.nanoTime() + delayMillis * 1_000_000;
        try {
            while (!cancelled.getAsBoolean() && System.nanoTime() < deadline) {
                Thread.sleep(Math.min(5, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
