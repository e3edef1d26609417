package mdev.core;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.osgi.annotation.versioning.ProviderType;

/** The mdev bus as front ends and tests use it (the kernel's mdev sysfs interface). */
@ProviderType
public interface MdevBus {
    /** Names of the parent devices present, sorted. */
    List<String> parents();

    /** Types of one parent with live available_instances; ENODEV for an unknown parent. */
    List<MdevType> types(String parent);

    /** Types of every parent. */
    List<MdevType> types();

    /**
     * Creates a device (writing the UUID to {@code mdev_supported_types/<type>/create}).
     * EEXIST if the UUID exists anywhere on the bus; ENODEV if the parent is absent; EINVAL for
     * a type the parent does not offer or a create that sets no class id or device ops; any
     * errno of the vendor unchanged. On failure nothing stays registered.
     */
    MdevDevice create(String parent, String typeId, UUID uuid);

    /**
     * Removes a device (writing 1 to its {@code remove} attribute). ENODEV for an unknown UUID;
     * EBUSY while open through its class driver; a vendor failure leaves it in place.
     */
    void remove(UUID uuid);

    /** Devices on the bus, in creation order. */
    List<MdevDevice> devices();

    Optional<MdevDevice> device(UUID uuid);

    /** Whether a class driver is bound to the device. */
    boolean isBound(UUID uuid);

    /** The names of a device's attributes, in its parent's order; ENODEV for an unknown device. */
    List<String> attributes(UUID uuid);

    /** A device's attributes with whether each reads and writes, in its parent's order; ENODEV as above. */
    List<MdevAttributeInfo> attributeInfo(UUID uuid);

    /**
     * Reads a device attribute (a read of its sysfs file): ENODEV for an unknown device,
     * ENOENT for an unknown attribute, EACCES for a write-only one.
     */
    String readAttribute(UUID uuid, String name);

    /**
     * Writes a device attribute (a write to its sysfs file); the same errors as reading, EACCES
     * for a read-only one, and whatever the parent's store answers.
     */
    void writeAttribute(UUID uuid, String name, String value);
}
