package mdev.mdevctl.internal;

import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import mdev.core.ErrnoException;
import mdev.mdevctl.Mdevctl;

/**
 * The Gogo shell's {@code mdevctl} command: {@code mdevctl list -d}, the whole command line as
 * at a Linux prompt; and {@code lsmdev}, list's other name. A command returns what mdevctl prints; a failure is mdevctl's message with
 * the errno, and the cause's own message when a device write failed.
 *
 * <p>The verbs are not functions of their own: {@code start} and {@code stop} would shadow the
 * framework's bundle commands, since Gogo resolves an unscoped name to any scope that has it.
 */
@Component(service = MdevctlCommands.class, property = {
    "osgi.command.scope=mdevctl",
    "osgi.command.function=mdevctl",
    "osgi.command.function=lsmdev"
})
public final class MdevctlCommands {
    private final Mdevctl mdevctl;

    @Activate
    public MdevctlCommands(@Reference Mdevctl mdevctl) {
        this.mdevctl = mdevctl;
    }

    public String mdevctl(String... args) {
        return run(List.of(args));
    }

    /** {@code lsmdev [-d] [-v] [--dumpjson] [-u UUID] [-p PARENT]}: mdevctl list's other name. */
    public String lsmdev(String... args) {
        List<String> line = new java.util.ArrayList<>(List.of("lsmdev"));
        line.addAll(List.of(args));
        return run(line);
    }

    private String run(List<String> line) {
        try {
            return mdevctl.execute(line);
        } catch (ErrnoException e) {
            throw e.getCause() instanceof ErrnoException ? new ErrnoException(e.errno(), Reports.oneLine(e)) : e;
        } catch (IllegalArgumentException usage) {
            // a command line that does not parse: EINVAL with picocli's reason, as every shell failure
            throw new ErrnoException(mdev.core.Errno.EINVAL, "mdevctl: " + usage.getMessage());
        }
    }
}
