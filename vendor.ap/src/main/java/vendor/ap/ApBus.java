package vendor.ap;

import org.osgi.annotation.versioning.ProviderType;

/**
 * /sys/bus/ap/apmask and /sys/bus/ap/aqmask: which queues stay with the host's default drivers
 * (adapter in apmask and domain in aqmask). Reads give {@code 0x} and 64 hex digits (id 0 is
 * the leftmost bit) and a newline. Writes take either such a hex mask (shorter ones are padded
 * with zeros) or a list of relative changes {@code +id}, {@code -id}, {@code +first-last},
 * separated by commas (ap_parse_mask_str): EINVAL when malformed, EBUSY when the change would
 * give the host a queue some vfio_ap mdev holds; a failed write changes nothing.
 */
@ProviderType
public interface ApBus {
    String apmask();

    String aqmask();

    void writeApmask(String text);

    void writeAqmask(String text);
}
