package mdev.shell.internal;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

import org.apache.felix.service.command.CommandSession;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * The console on a terminal: JLine's line editing, history kept in the user's state directory,
 * completion of commands, device UUIDs, parents, types and region names. Ctrl-C cancels the line
 * being typed, or interrupts the command running, and never stops the framework (JLine takes
 * SIGINT from the JVM's default handler). Piped input and scripts do not come here.
 */
final class TerminalConsole {
    /** What completion offers after the first word, asked at each completion (devices come and go). */
    interface Words {
        List<String> commands();

        List<String> arguments();
    }

    /** Consecutive terminal failures the prompt survives before the console gives up. */
    private static final int MAX_TERMINAL_GLITCHES = 3;

    private TerminalConsole() {
    }

    /** The history file: $XDG_STATE_HOME (else ~/.local/state)/mdev-osgi/history. */
    static Path historyFile() {
        String state = System.getenv("XDG_STATE_HOME");
        Path base = state != null && !state.isBlank() ? Path.of(state)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("mdev-osgi").resolve("history");
    }

    /** Reads and runs lines until exit, end of input (Ctrl-D) or the terminal goes; returns 0. */
    static int run(CommandSession session, Words words, Executor executor, org.osgi.framework.BundleContext context) throws IOException {
        Path history = historyFile();
        try {
            Files.createDirectories(history.getParent());
        } catch (IOException cannot) {
            // history stays in memory
        }
        try (Terminal terminal = systemTerminal()) {
            if (terminal.getWidth() <= 0 || terminal.getHeight() <= 0) {
                terminal.setSize(new org.jline.terminal.Size(120, 40));   // a pty nobody sized (script, ssh -T)
            }
            LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("mdev-osgi")
                    .variable(LineReader.HISTORY_FILE, history).completer(completer(words)).build();
            PrintStream out = new PrintStream(terminal.output(), true, java.nio.charset.StandardCharsets.UTF_8);
            LogAbovePrompt logs = LogAbovePrompt.install(reader, context);
            out.println("mdev-osgi shell: 'help' lists commands, 'exit' stops the framework.");
            Thread[] running = new Thread[1];
            terminal.handle(Terminal.Signal.INT, signal -> {
                Thread t = running[0];
                if (t != null) {
                    t.interrupt();   // the running command is interrupted; the framework stays
                }
            });
            try {
                int glitches = 0;
                while (true) {
                    String line;
                    try {
                        line = reader.readLine("g! ");
                    } catch (UserInterruptException cancelled) {
                        continue;           // Ctrl-C at the prompt: the line is dropped
                    } catch (EndOfFileException end) {
                        out.println();
                        return 0;
                    } catch (java.io.IOError glitch) {
                        // the terminal failed once (a size query interrupted): a new prompt, unless it keeps failing
                        if (++glitches > MAX_TERMINAL_GLITCHES) {
                            throw glitch;
                        }
                        out.println();
                        continue;
                    }
                    glitches = 0;
                    String command = line.strip();
                    if (command.equals("exit") || command.equals("quit")) {
                        return 0;
                    }
                    if (!command.isEmpty()) {
                        running[0] = Thread.currentThread();
                        try {
                            executor.execute(session, command, out, out);
                        } finally {
                            running[0] = null;
                            Thread.interrupted();   // an interrupt that came after the command is dropped
                        }
                    }
                }
            } finally {
                logs.uninstall();
            }
        }
    }

    /**
     * JLine finds its terminal providers through the context class loader, which in OSGi is not
     * JLine's own: lend it JLine's for the build. JLine's JNI provider first: it unpacks its small
     * library into java.io.tmpdir (never the home, unlike JNA's ~/.cache) and runs no child
     * processes. The exec provider (stty) is only the fallback: its children share the terminal's
     * foreground process group, so a Ctrl-C typed while one runs kills it and fails the redraw.
     */
    private static Terminal systemTerminal() throws IOException {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(TerminalBuilder.class.getClassLoader());
        try {
            return TerminalBuilder.builder().system(true).name("mdev-osgi").dumb(false)
                    .jna(false).jansi(false).ffm(false).jni(true).exec(true).build();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** Runs one command line (the console's execute). */
    interface Executor {
        int execute(CommandSession session, String command, PrintStream out, PrintStream err);
    }

    private static Completer completer(Words words) {
        return (reader, line, candidates) -> {
            List<String> pool = line.wordIndex() == 0 ? words.commands() : words.arguments();
            for (String word : pool) {
                candidates.add(new Candidate(word, word, null, null, null, null, true));
            }
        };
    }

    /** Region names vfio commands take. */
    static List<String> regionNames() {
        List<String> names = new ArrayList<>(List.of("config", "rom", "vga"));
        for (int i = 0; i <= 5; i++) {
            names.add("bar" + i);
        }
        return names;
    }

    static Words words(Supplier<List<String>> commands, Supplier<List<UUID>> devices, Supplier<List<String>> parents,
            Supplier<List<String>> types) {
        return new Words() {
            @Override
            public List<String> commands() {
                return commands.get();
            }

            @Override
            public List<String> arguments() {
                List<String> all = new ArrayList<>();
                devices.get().forEach(u -> all.add(u.toString()));
                all.addAll(parents.get());
                all.addAll(types.get());
                all.addAll(regionNames());
                return all;
            }
        };
    }
}
