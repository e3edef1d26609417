package mdev.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Told when a parent becomes usable on the bus and when it leaves: the kernel's
 * {@code MDEV_STATE=registered}/{@code unregistered} uevents, on which udev runs
 * {@code mdevctl start-parent-mdevs}. Registered as a service (whiteboard). The bus calls it
 * after its own lock is released, on the thread that changed the bus; a listener that does
 * real work (creating devices, say) hands it to a thread of its own. A listener that arrives
 * late is not told about parents already there: it reads {@link MdevBus#parents()}.
 */
@ConsumerType
public interface MdevBusListener {
    /** {@code parent} is registered: its types can be listed and devices created on it. */
    void parentRegistered(String parent);

    /** {@code parent} is gone, and every device it had with it. */
    default void parentUnregistered(String parent) {
    }
}
