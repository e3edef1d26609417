package vfio.core;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * The device ioctls in typed form, as a vendor implements them. {@link VfioIoctlCodec#dispatch}
 * decodes and validates the byte-level structs and calls these with checked arguments, so a
 * vendor's {@link VfioDeviceOps#ioctl} can be one line.
 */
@ConsumerType
public interface VfioDeviceIoctls {
    VfioDeviceInfo getInfo();

    /** EINVAL for an index past num_regions. */
    VfioRegionInfo getRegionInfo(int index);

    /** EINVAL for an index the device does not report. */
    VfioIrqInfo getIrqInfo(int index);

    /** Called with a set already checked against the index's count and data size. */
    void setIrqs(VfioIrqSet set);

    void reset();
}
