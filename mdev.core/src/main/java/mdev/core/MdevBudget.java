package mdev.core;

/**
 * What a parent's devices share and run out of (mtty's ports, mdpy's device count, mbochs's
 * megabytes of video memory): {@link #reserve} before a device is made, {@link #release} when it
 * goes or its making failed; {@link #free} is what available_instances is computed from.
 * Thread-safe; nothing is called under its monitor.
 */
public final class MdevBudget {
    private final String unit;
    private final long total;
    private long used;

    /** {@code total} units, named {@code unit} in messages ("ports", "MB"). */
    public MdevBudget(long total, String unit) {
        if (total < 0) {
            throw new IllegalArgumentException("a budget of " + total + " " + unit);
        }
        this.total = total;
        this.unit = unit;
    }

    public long total() {
        return total;
    }

    public synchronized long free() {
        return total - used;
    }

    /** Takes {@code units} for {@code what}; ENOSPC naming both when fewer are free, and nothing is taken. */
    public synchronized void reserve(long units, String what) {
        if (units < 0 || units > total - used) {
            throw new ErrnoException(Errno.ENOSPC, what + " needs " + units + " " + unit + ", " + (total - used) + " of "
                    + total + " free");
        }
        used += units;
    }

    /** Gives back what a device took. */
    public synchronized void release(long units) {
        if (units < 0 || units > used) {
            throw new IllegalStateException("releasing " + units + " " + unit + " of " + used + " used");
        }
        used -= units;
    }
}
