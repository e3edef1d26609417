package mdev.shell.internal;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.apache.felix.service.command.CommandProcessor;
import org.apache.felix.service.command.CommandSession;
import org.apache.felix.service.command.Converter;
import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import mdev.core.ErrnoException;
import mdev.mdevctl.Mdevctl;

/**
 * The console of the distribution, run by bnd's launcher on the main thread (a
 * {@code main.thread} service); its result is the process's exit code and the framework stops
 * when it returns. {@code --script FILE} runs FILE's commands in order and stops at the first
 * failure; otherwise commands are read from standard input with a {@code g! } prompt until
 * {@code exit} or end of input. Errors print as {@code <ERRNO>: <message>}.
 *
 * <p>Written here rather than using gogo.jline's shell, which cannot run headless scripts
 * (see docs/shell.md).
 */
@Component(service = Callable.class, property = "main.thread=true")
public final class Console implements Callable<Integer> {
    /** Exit code for a failure that carries no errno (unknown command, syntax error, ...). */
    static final int EXIT_FAILURE = 1;
    /** Exit code for a command line the jar does not understand (as getopt-style tools use). */
    static final int EXIT_USAGE = 2;
    static final String USAGE = "usage: java -jar mdev-osgi.jar [--config DIR] [--script FILE] | mdevctl <verb> [options] | lsmdev [options] | --help";
    /** bnd's launcher registers itself with the command line in this property. */
    private static final String LAUNCHER_ARGUMENTS = "launcher.arguments";

    private final CommandProcessor processor;
    private final BundleContext context;

    @Activate
    public Console(@Reference CommandProcessor processor, BundleContext context) {
        this.processor = processor;
        this.context = context;
    }

    @Override
    public Integer call() throws Exception {
        // The process's own streams: gogo's ThreadIO replaces System.out/err with streams that
        // dispatch to the current session, which would loop back into the session itself.
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
        List<String> args = launcherArguments();
        if (!args.isEmpty() && args.get(0).equals("mdevctl")) {
            awaitReady(err);
            return mdevctl(args.subList(1, args.size()), out, err);
        }
        if (!args.isEmpty() && args.get(0).equals("lsmdev")) {
            awaitReady(err);
            return mdevctl(args, out, err);
        }
        Path configDir = null;
        Path script = null;
        for (int i = 0; i < args.size(); i += 2) {
            String option = args.get(i);
            boolean known = option.equals("--config") && configDir == null || option.equals("--script") && script == null;
            if (!known || i + 1 >= args.size()) {
                if (!args.equals(List.of("--help")) && !args.equals(List.of("-h"))) {
                    err.println("unknown arguments: " + String.join(" ", args));
                }
                err.println(USAGE);
                return EXIT_USAGE;
            }
            if (option.equals("--config")) {
                configDir = Path.of(args.get(i + 1));
            } else {
                script = Path.of(args.get(i + 1));
            }
        }
        if (configDir != null) {
            int status = loadConfiguration(configDir, err);
            if (status != 0) {
                return status;
            }
        }
        awaitReady(err);
        int unusable = sysfsFailure(err);
        if (unusable != 0) {
            return unusable;
        }
        if (script != null) {
            return runScript(script, out, err);
        }
        if (System.console() != null && !Boolean.getBoolean("mdev.shell.plain")) {
            // a terminal: line editing, history, completion, Ctrl-C that does not stop the framework
            CommandSession session = processor.createSession(new FileInputStream(FileDescriptor.in), out, err);
            try {
                return TerminalConsole.run(session, words(), this::execute, context);
            } finally {
                session.close();
            }
        }
        return interactive(new FileInputStream(FileDescriptor.in), out, err);
    }

    /**
     * Readiness as SCR reports it: waits until no component configuration is unsatisfied (its
     * references or configuration missing) and the set of configurations has stopped changing
     * (Configuration Admin delivers some, such as the default GPU, asynchronously); at most a
     * few seconds, then names what is still waiting.
     */
    private void awaitReady(PrintStream err) throws InterruptedException {
        ServiceReference<ServiceComponentRuntime> ref = context.getServiceReference(ServiceComponentRuntime.class);
        ServiceComponentRuntime scr = ref == null ? null : context.getService(ref);
        if (scr == null) {
            return;
        }
        try {
            long deadline = System.currentTimeMillis() + READY_TIMEOUT_MS;
            List<String> waiting = List.of();
            int lastCount = -1;
            while (System.currentTimeMillis() < deadline) {
                waiting = new java.util.ArrayList<>();
                int count = 0;
                for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
                    for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                        count++;
                        if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE
                                || c.state == ComponentConfigurationDTO.UNSATISFIED_CONFIGURATION) {
                            waiting.add(d.name);
                        }
                    }
                }
                if (waiting.isEmpty() && count == lastCount) {
                    return;
                }
                lastCount = count;
                Thread.sleep(50);
            }
            if (!waiting.isEmpty()) {
                err.println("not ready after " + READY_TIMEOUT_MS / 1000 + " s, still waiting: " + String.join(", ", waiting));
            }
        } finally {
            context.ungetService(ref);
        }
    }

    private static final long READY_TIMEOUT_MS = 10_000;

    /** A sysfs mount point that was asked for and could not be mounted ends the run: one line, its errno. */
    private int sysfsFailure(PrintStream err) {
        ServiceReference<mdev.sysfs.SysfsMount> ref = context.getServiceReference(mdev.sysfs.SysfsMount.class);
        mdev.sysfs.SysfsMount mount = ref == null ? null : context.getService(ref);
        if (mount == null) {
            return 0;
        }
        try {
            return mount.failure().map(e -> {
                err.println(e);
                return e.errno().number();
            }).orElse(0);
        } finally {
            context.ungetService(ref);
        }
    }

    /** {@code --config DIR}: the host composed from DIR's files (bundle mdev.config); one line and an errno if it cannot be. */
    private int loadConfiguration(Path dir, PrintStream err) {
        ServiceReference<mdev.config.HostConfiguration> ref = context.getServiceReference(mdev.config.HostConfiguration.class);
        mdev.config.HostConfiguration host = ref == null ? null : context.getService(ref);
        if (host == null) {
            err.println("ERROR: --config needs the bundle mdev.config, which is not running");
            return EXIT_FAILURE;
        }
        try {
            host.load(dir);
            return 0;
        } catch (ErrnoException e) {
            err.println(e);
            return e.errno().number();
        } finally {
            context.ungetService(ref);
        }
    }

    /** Completion's words: every command (scoped and not), devices, parents and types of the bus now. */
    private TerminalConsole.Words words() {
        return TerminalConsole.words(this::commandNames, () -> busCall(b -> b.devices().stream().map(d -> d.uuid()).toList()),
                () -> busCall(mdev.core.MdevBus::parents),
                () -> busCall(b -> b.types().stream().map(mdev.core.MdevType::id).toList()));
    }

    private List<String> commandNames() {
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        try {
            ServiceReference<?>[] refs = context.getServiceReferences((String) null, "(osgi.command.scope=*)");
            for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
                Object scope = ref.getProperty("osgi.command.scope");
                Object functions = ref.getProperty("osgi.command.function");
                List<Object> list = functions instanceof Object[] array ? List.of(array) : List.of(String.valueOf(functions));
                for (Object f : list) {
                    names.add(scope + ":" + f);
                    names.add(String.valueOf(f));
                }
            }
        } catch (InvalidSyntaxException impossible) {
            // a fixed filter
        }
        names.add("exit");
        return List.copyOf(names);
    }

    private <T> List<T> busCall(java.util.function.Function<mdev.core.MdevBus, List<T>> call) {
        ServiceReference<mdev.core.MdevBus> ref = context.getServiceReference(mdev.core.MdevBus.class);
        mdev.core.MdevBus bus = ref == null ? null : context.getService(ref);
        if (bus == null) {
            return List.of();
        }
        try {
            return call.apply(bus);
        } catch (RuntimeException gone) {
            return List.of();
        } finally {
            context.ungetService(ref);
        }
    }

    private List<String> launcherArguments() {
        ServiceReference<?>[] refs;
        try {
            refs = context.getServiceReferences((String) null, "(" + LAUNCHER_ARGUMENTS + "=*)");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        for (ServiceReference<?> ref : refs == null ? new ServiceReference<?>[0] : refs) {
            if (ref.getProperty(LAUNCHER_ARGUMENTS) instanceof String[] strings) {
                return List.of(strings);
            }
        }
        return List.of();
    }

    /**
     * {@code java -jar mdev-osgi.jar mdevctl <verb> ...}: one mdevctl command in this framework,
     * with mdevctl's output and exit status. Definitions persist; devices live as long as the
     * process (auto ones are started before the command runs).
     */
    private int mdevctl(List<String> args, PrintStream out, PrintStream err) {
        ServiceReference<Mdevctl> ref = context.getServiceReference(Mdevctl.class);
        Mdevctl mdevctl = ref == null ? null : context.getService(ref);
        if (mdevctl == null) {
            err.println("Error: mdevctl is not running in this framework (bundle mdev.mdevctl)");
            return EXIT_FAILURE;
        }
        try {
            return mdevctl.run(args, out, err);
        } finally {
            context.ungetService(ref);
        }
    }

    /** Runs every line of {@code file}; returns 0, or the failing command's errno (or 1). */
    int runScript(Path file, PrintStream out, PrintStream err) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            err.println("cannot read script " + file + ": " + e.getMessage());
            return EXIT_FAILURE;
        }
        CommandSession session = processor.createSession(InputStream.nullInputStream(), out, err);
        try {
            int lineNo = 0;
            for (String line : lines) {
                lineNo++;
                String command = line.strip();
                if (command.isEmpty() || command.startsWith("#")) {
                    continue;
                }
                int status = execute(session, command, out, err);
                if (status != 0) {
                    err.println(file + ":" + lineNo + ": failed: " + command);
                    return status;
                }
            }
            return 0;
        } finally {
            session.close();
        }
    }

    private int interactive(InputStream in, PrintStream out, PrintStream err) throws IOException {
        CommandSession session = processor.createSession(in, out, err);
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            out.println("mdev-osgi shell: 'help' lists commands, 'exit' stops the framework.");
            while (true) {
                out.print("g! ");
                out.flush();
                String line = reader.readLine();
                if (line == null) {
                    out.println();
                    return 0;
                }
                String command = line.strip();
                if (command.equals("exit") || command.equals("quit")) {
                    return 0;
                }
                if (!command.isEmpty()) {
                    execute(session, command, out, err);
                }
            }
        } finally {
            session.close();
        }
    }

    /** Gogo reports a command's exception wrapped in reflection's; show the command's own. */
    private static Throwable unwrap(Throwable e) {
        while (e instanceof java.lang.reflect.InvocationTargetException && e.getCause() != null) {
            e = e.getCause();
        }
        return e;
    }

    /** Executes one command line and prints its result; returns 0 or an exit status. */
    int execute(CommandSession session, String command, PrintStream out, PrintStream err) {
        try {
            Object result = session.execute(command);
            if (result instanceof java.util.Collection<?> rows) {
                // Gogo ends each element's line with a newline; an empty list prints nothing
                if (!rows.isEmpty()) {
                    out.print(session.format(result, Converter.INSPECT));
                }
            } else if (result != null) {
                out.println(session.format(result, Converter.INSPECT));
            }
            out.flush();
            return 0;
        } catch (Exception thrown) {
            out.flush();
            Throwable e = unwrap(thrown);
            if (e instanceof ErrnoException errno) {
                err.println(errno);
                return errno.errno().number();
            }
            if (e instanceof IllegalArgumentException && String.valueOf(e.getMessage()).startsWith("Cannot coerce ")) {
                // No overload takes these arguments: say how the command is used, as EINVAL.
                String name = command.split("\\s+", 2)[0];
                List<String> usage = Usage.of(context, name);
                err.println("EINVAL: wrong arguments for " + name + (usage.isEmpty() ? ""
                        : "; usage:" + System.lineSeparator() + "  " + String.join(System.lineSeparator() + "  ", usage)));
                return mdev.core.Errno.EINVAL.number();
            }
            err.println("ERROR: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
            if (Boolean.getBoolean("mdev.shell.trace")) {
                e.printStackTrace(err);
            }
            return EXIT_FAILURE;
        } finally {
            err.flush();
        }
    }
}
