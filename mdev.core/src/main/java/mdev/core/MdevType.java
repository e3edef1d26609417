package mdev.core;

/**
 * A supported type of a parent as the bus shows it (mdev_supported_types/&lt;id&gt;/).
 *
 * @param id                 {@code <driver>-<name>}, e.g. {@code mtty-2}
 * @param parent             name of the parent device offering it
 * @param name               the human name
 * @param description        the description, empty when the driver has none
 * @param deviceApi          e.g. {@code vfio-pci}
 * @param availableInstances how many more devices of this type can be created now
 */
public record MdevType(String id, String parent, String name, String description, String deviceApi,
        long availableInstances) {
}
