package mdev.core.internal;

/** Makes a device visible outside the bus (an OSGi service); a seam for unit tests. */
interface DevicePublisher {
    /** Publishes the device; returns a token for {@link #unpublish}. */
    Object publish(MdevDeviceImpl device);

    void unpublish(Object token);
}
