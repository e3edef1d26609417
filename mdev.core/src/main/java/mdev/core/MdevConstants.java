package mdev.core;

/** Service property names used on the mdev bus. */
public final class MdevConstants {
    /** Name of the parent device: on parent services and on device services. */
    public static final String PARENT = "mdev.parent";
    /** UUID of a mediated device, in canonical string form. */
    public static final String UUID = "mdev.uuid";
    /** Type id of a mediated device as sysfs names it, {@code <driver>-<name>}. */
    public static final String TYPE = "mdev.type";
    /** Class id (Integer): on class-driver services and on device services. */
    public static final String CLASS_ID = "mdev.class.id";

    private MdevConstants() {
    }
}
