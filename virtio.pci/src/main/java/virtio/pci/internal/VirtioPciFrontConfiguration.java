package virtio.pci.internal;

import java.util.UUID;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import virtio.pci.VirtioPciFront;
import mdev.log.Logs;

/**
 * One virtio-pci assignment per factory configuration of {@value VirtioPciFront#FACTORY_PID}:
 * the device is given to VMs while the configuration exists and back to the virtio bus when it
 * is deleted. A configuration naming a device assigned otherwise fails to activate (logged by SCR).
 */
@Component(configurationPid = VirtioPciFront.FACTORY_PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = VirtioPciFrontConfiguration.Config.class, factory = true)
public final class VirtioPciFrontConfiguration {
    @ObjectClassDefinition(name = "virtio-pci front", description = "A virtio device given to VMs as a virtio-pci function")
    public @interface Config {
        @AttributeDefinition(description = "the device's name on the virtio bus: mdev:<uuid>, uvirtio0, ...")
        String device();

        @AttributeDefinition(required = false, description = "the function's UUID; an mdev's own by default")
        String uuid() default "";
    }

    private final VirtioPciFront front;
    private final String device;

    @Activate
    public VirtioPciFrontConfiguration(@Reference VirtioPciFront front, Config config) {
        if (config.device() == null || config.device().isBlank()) {
            throw new ErrnoException(Errno.EINVAL, VirtioPciFront.FACTORY_PID + " configuration without a device");
        }
        UUID uuid;
        try {
            uuid = config.uuid().isEmpty() ? null : UUID.fromString(config.uuid());
        } catch (IllegalArgumentException e) {
            throw new ErrnoException(Errno.EINVAL, "uuid '" + config.uuid() + "' is not a UUID");
        }
        this.front = front;
        this.device = config.device();
        front.assign(device, uuid);
    }

    @Deactivate
    void deactivate() {
        try {
            front.unassign(device);
        } catch (ErrnoException e) {
            Logs.of(VirtioPciFrontConfiguration.class).log(System.Logger.Level.WARNING,
                    "virtio-pci front of " + device + " stays: " + e);
        }
    }
}
