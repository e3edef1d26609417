package mdev.core;

import java.util.Objects;

/**
 * A type as a parent driver declares it (a group of the kernel's supported_type_groups).
 *
 * @param name        the group name, e.g. {@code "2"}; the bus prefixes the driver name to
 *                    form the type id ({@code mtty-2})
 * @param humanName   the type's {@code name} attribute, e.g. {@code "Dual port serial"}
 * @param description the type's {@code description} attribute, empty when the driver has none
 * @param deviceApi   the {@code device_api} attribute, e.g. {@code "vfio-pci"}
 */
public record MdevTypeSpec(String name, String humanName, String description, String deviceApi) {
    public MdevTypeSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(humanName, "humanName");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(deviceApi, "deviceApi");
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new ErrnoException(Errno.EINVAL, "bad type name '" + name + "'");
        }
    }
}
