package mdev.core;

import java.util.List;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * A parent device, registered as a service by a vendor bundle (the kernel's
 * {@code mdev_register_device} with its {@code mdev_parent_ops}). The bus picks it up, offers
 * its types, and calls {@link #create} and {@link #remove}. Unregistering the service removes
 * every device of the parent, open ones included.
 *
 * <p>Since seed 001 the parent ops hold only create and remove: the per-class callbacks are
 * set per device at create time with {@link MdevDevice#setDeviceOps}.
 */
@ConsumerType
public interface MdevParent {
    /** The parent device's name, unique on the bus (the kernel's dev_name of the parent). */
    String name();

    /**
     * The driver name that prefixes type ids (dev_driver_string of the parent); by default the
     * parent's name, as for the samples, whose driver and device share it.
     */
    default String driverName() {
        return name();
    }

    /** The supported types; fixed for the life of the service. */
    List<MdevTypeSpec> supportedTypes();

    /** How many more devices of {@code type} can be created now; computed live. */
    long availableInstances(MdevTypeSpec type);

    /**
     * Creates the vendor state of {@code device}. Must set the class id and the device ops
     * ({@code mdev_set_class_id}, {@code mdev_set_dev_ops}) before returning. Throws the
     * vendor's own errno (e.g. ENOSPC when resources run out); the bus passes it on unchanged.
     */
    void create(MdevTypeSpec type, MdevDevice device);

    /**
     * Frees the vendor state of {@code device}. The bus never calls this while the device is
     * open, except when the parent itself is going away. A failure leaves the device in place.
     */
    void remove(MdevDevice device);

    /**
     * The attributes every device of this parent has (mdev_attr_groups), in the order they
     * are listed; none by default. Called under the bus lock, like create and remove.
     */
    default java.util.List<MdevAttribute> deviceAttributes() {
        return java.util.List.of();
    }
}
