package vfio.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * A decoded, validated {@code struct vfio_irq_set}: one action (MASK, UNMASK or TRIGGER) on
 * irqs {@code start .. start+count-1} of {@code index}, with no data, a bool per irq, or an
 * eventfd per irq (null where the caller passed fd -1 to tear the trigger down).
 */
public record VfioIrqSet(int flags, int index, int start, int count, boolean[] bools, EventFd[] eventFds) {
    public VfioIrqSet {
        bools = bools == null ? null : bools.clone();
        eventFds = eventFds == null ? null : eventFds.clone();
    }

    public int action() {
        return flags & Vfio.VFIO_IRQ_SET_ACTION_TYPE_MASK;
    }

    public int dataType() {
        return flags & Vfio.VFIO_IRQ_SET_DATA_TYPE_MASK;
    }

    /** A TRIGGER with one eventfd per irq from {@code start}; a null entry tears one down. */
    public static VfioIrqSet trigger(int index, int start, EventFd... eventFds) {
        return new VfioIrqSet(Vfio.VFIO_IRQ_SET_ACTION_TRIGGER | Vfio.VFIO_IRQ_SET_DATA_EVENTFD,
                index, start, eventFds.length, null, eventFds);
    }

    /** An action with DATA_NONE on {@code count} irqs. */
    public static VfioIrqSet none(int action, int index, int start, int count) {
        return new VfioIrqSet(action | Vfio.VFIO_IRQ_SET_DATA_NONE, index, start, count, null, null);
    }

    /** An action with DATA_BOOL, one bool per irq from {@code start}. */
    public static VfioIrqSet bool(int action, int index, int start, boolean... bools) {
        return new VfioIrqSet(action | Vfio.VFIO_IRQ_SET_DATA_BOOL, index, start, bools.length, bools, null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VfioIrqSet s && flags == s.flags && index == s.index && start == s.start
                && count == s.count && Arrays.equals(bools, s.bools) && Arrays.equals(eventFds, s.eventFds);
    }

    @Override
    public int hashCode() {
        return Objects.hash(flags, index, start, count, Arrays.hashCode(bools), Arrays.hashCode(eventFds));
    }

    @Override
    public String toString() {
        return "VfioIrqSet[flags=0x" + Integer.toHexString(flags) + ", index=" + index + ", start=" + start
                + ", count=" + count + "]";
    }
}
