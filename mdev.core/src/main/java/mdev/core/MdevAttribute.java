package mdev.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A named text attribute a parent gives each of its devices (the kernel's mdev_attr_groups:
 * files in the device's sysfs directory, such as vfio_ap's {@code assign_adapter} or
 * {@code matrix}). {@code show} answers what reading the file gives, newline included where the
 * kernel prints one; {@code store} takes what was written, as sysfs hands it over (a trailing
 * newline included). An attribute without a show is write-only, without a store read-only;
 * the bus answers EACCES for the missing direction, as the file's mode would.
 *
 * <p>Registered as a service with {@link MdevConstants#CLASS_ID}, an attribute is given to
 * every device of that class, after its parent's: what a front of the class adds (as a bus
 * gives every device its driver_override). Its show and store run under the bus lock.
 */
@ConsumerType
public interface MdevAttribute {
    String name();

    /** Whether reading is allowed (mode r). */
    default boolean readable() {
        return true;
    }

    /** Whether writing is allowed (mode w). */
    default boolean writable() {
        return false;
    }

    default String show(MdevDevice device) {
        throw new ErrnoException(Errno.EACCES, "attribute " + name() + " is write-only");
    }

    default void store(MdevDevice device, String value) {
        throw new ErrnoException(Errno.EACCES, "attribute " + name() + " is read-only");
    }
}
