package mdev.shell.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import vendor.ap.ApBus;

/** {@code ap:*}: the AP bus's host masks, /sys/bus/ap/apmask and aqmask. */
@Component(service = ApCommands.class, property = {
        "osgi.command.scope=ap",
        "osgi.command.function=apmask",
        "osgi.command.function=aqmask" })
public final class ApCommands {
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile ApBus bus;

    private ApBus bus() {
        ApBus current = bus;
        if (current == null) {
            throw new ErrnoException(Errno.ENODEV, "no AP bus (is vendor.ap active?)");
        }
        return current;
    }

    @Descriptor("show apmask: the adapters of the host's queues")
    public void apmask() {
        System.out.print(bus().apmask());
    }

    @Descriptor("write apmask: a hex mask, or +id, -id, +first-last changes separated by commas")
    public void apmask(@Descriptor("mask or changes") String value) {
        bus().writeApmask(value + "\n");
    }

    @Descriptor("show aqmask: the domains of the host's queues")
    public void aqmask() {
        System.out.print(bus().aqmask());
    }

    @Descriptor("write aqmask: a hex mask, or +id, -id, +first-last changes separated by commas")
    public void aqmask(@Descriptor("mask or changes") String value) {
        bus().writeAqmask(value + "\n");
    }
}
