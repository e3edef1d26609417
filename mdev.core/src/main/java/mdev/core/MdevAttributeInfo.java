package mdev.core;

import java.util.Objects;

/**
 * What a device attribute file is, for front ends that show the device's directory: its name
 * and whether it can be read ({@code show}) and written ({@code store}). In sysfs a read-only
 * attribute is mode 0444, write-only 0200, read-write 0644.
 */
public record MdevAttributeInfo(String name, boolean readable, boolean writable) {
    public MdevAttributeInfo {
        Objects.requireNonNull(name, "name");
    }

    /** The sysfs permission bits of the attribute's file. */
    public int mode() {
        return (readable ? 0444 : 0) | (writable ? 0200 : 0);
    }
}
