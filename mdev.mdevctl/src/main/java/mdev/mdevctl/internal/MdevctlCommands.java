package mdev.mdevctl.internal;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import mdev.core.ErrnoException;
import mdev.mdevctl.Mdevctl;

/**
 * The Gogo shell's {@code mdevctl} scope: {@code mdevctl list -d} (the whole command line, as
 * at a Linux prompt) or one verb at a time ({@code mdevctl:define -p mtty -t mtty-1 -a}). A
 * command returns what mdevctl prints; a failure is mdevctl's message with the errno, and the
 * cause's own message when a device write failed.
 */
@Component(service = MdevctlCommands.class, property = {
    "osgi.command.scope=mdevctl",
    "osgi.command.function=mdevctl",
    "osgi.command.function=list",
    "osgi.command.function=types",
    "osgi.command.function=start",
    "osgi.command.function=stop",
    "osgi.command.function=define",
    "osgi.command.function=undefine",
    "osgi.command.function=modify"
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

    public String list(String... args) {
        return verb("list", args);
    }

    public String types(String... args) {
        return verb("types", args);
    }

    public String start(String... args) {
        return verb("start", args);
    }

    public String stop(String... args) {
        return verb("stop", args);
    }

    public String define(String... args) {
        return verb("define", args);
    }

    public String undefine(String... args) {
        return verb("undefine", args);
    }

    public String modify(String... args) {
        return verb("modify", args);
    }

    private String verb(String name, String... args) {
        List<String> line = new ArrayList<>();
        line.add(name);
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
