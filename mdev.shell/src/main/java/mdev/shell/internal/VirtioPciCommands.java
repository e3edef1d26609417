package mdev.shell.internal;

import java.util.Map;
import java.util.UUID;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import virtio.pci.VirtioPciFront;

/**
 * {@code virtio:front} and {@code virtio:fronts}: which front a virtio device gets, the virtio
 * bus or a virtio-pci function for VMs. A component of its own, so the other virtio commands
 * stay when virtio.pci is stopped.
 */
@Component(service = VirtioPciCommands.class, property = {
        "osgi.command.scope=virtio",
        "osgi.command.function=front",
        "osgi.command.function=fronts" })
public final class VirtioPciCommands {
    private final VirtioPciFront front;

    @Activate
    public VirtioPciCommands(@Reference VirtioPciFront front) {
        this.front = front;
    }

    @Descriptor("give a virtio device to VMs as a virtio-pci function ('pci [uuid]', the UUID vfio-user serves it by; "
            + "an mdev's own by default) or back to the virtio bus ('bus')")
    public String front(@Descriptor("device name on the virtio bus, e.g. mdev:<uuid> or uvirtio0") String device,
            @Descriptor("pci or bus") String kind, @Descriptor("the function's UUID (pci)") String... uuid) {
        if (kind.equals("pci") && uuid.length <= 1) {
            front.assign(device, uuid.length == 0 ? null : Args.uuid(uuid[0]));
            return device + " -> virtio-pci " + front.assignments().get(device);
        }
        if (kind.equals("bus") && uuid.length == 0) {
            front.unassign(device);
            return device + " -> virtio bus";
        }
        throw new ErrnoException(Errno.EINVAL, "usage: virtio:front <device> pci [uuid] | virtio:front <device> bus");
    }

    @Descriptor("list the virtio devices given to VMs as virtio-pci functions")
    public String fronts() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, UUID> a : front.assignments().entrySet()) {
            out.append(out.length() == 0 ? "" : "\n").append(a.getKey()).append(" virtio-pci ").append(a.getValue())
                    .append(front.present(a.getKey()) ? "" : " (device absent)");
        }
        return out.toString();
    }
}
