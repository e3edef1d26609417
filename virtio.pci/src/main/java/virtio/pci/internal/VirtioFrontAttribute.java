package virtio.pci.internal;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.core.MdevAttribute;
import mdev.core.MdevClassId;
import mdev.core.MdevConstants;
import mdev.core.MdevDevice;
import virtio.pci.VirtioPciFront;

/**
 * {@code virtio_front}, an attribute of every VIRTIO mdev: reads {@code bus} or {@code pci};
 * writing one of them gives the device that front (a virtio-pci function is named by the mdev's
 * UUID). What mdevctl's {@code --addattr=virtio_front --value=pci} writes at each start;
 * writing the front the device has already changes nothing, as a sysfs store may be repeated.
 */
@Component(service = MdevAttribute.class, property = MdevConstants.CLASS_ID + ":Integer=" + MdevClassId.VIRTIO)
public final class VirtioFrontAttribute implements MdevAttribute {
    static final String NAME = "virtio_front";

    private final VirtioPciFront front;

    @Activate
    public VirtioFrontAttribute(@Reference VirtioPciFront front) {
        this.front = front;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean writable() {
        return true;
    }

    @Override
    public String show(MdevDevice device) {
        return (front.assignments().containsKey(busName(device)) ? "pci" : "bus") + "\n";
    }

    @Override
    public void store(MdevDevice device, String value) {
        String choice = value.endsWith("\n") ? value.substring(0, value.length() - 1) : value;
        boolean assigned = front.assignments().containsKey(busName(device));
        switch (choice) {
            case "pci" -> {
                if (!assigned) {
                    front.assign(busName(device), null);
                }
            }
            case "bus" -> {
                if (assigned) {
                    front.unassign(busName(device));
                }
            }
            default -> throw new ErrnoException(Errno.EINVAL, NAME + " takes 'bus' or 'pci', not '" + choice + "'");
        }
    }

    private static String busName(MdevDevice device) {
        return "mdev:" + device.uuid();
    }
}
