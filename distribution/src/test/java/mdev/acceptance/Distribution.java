package mdev.acceptance;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The built {@code mdev-osgi.jar}, run in a process of its own as a user runs it. Every run
 * works in a directory the test made: its working directory, its temporary files and, unless
 * the test names another, its mdevctl root; nothing of the user's home or a shared /tmp path.
 */
final class Distribution {
    static final Path JAR = Path.of(System.getProperty("mdev.jar", "target/mdev-osgi.jar")).toAbsolutePath();
    static final Path SCRIPTS = Path.of(System.getProperty("mdev.acceptance.scripts", "src/test/acceptance")).toAbsolutePath();
    static final Path README = Path.of(System.getProperty("mdev.readme", "../README.md")).toAbsolutePath();
    private static final long TIMEOUT_SECONDS = 120;

    /** What a run printed and how it ended. {@code out} has standard error merged when asked. */
    record Run(int exitCode, String out, String err) {}

    private final Path dir;
    private final List<String> jvmOptions = new ArrayList<>();

    /** A distribution run in {@code dir}, its mdevctl definitions under {@code dir/mdevctl}. */
    Distribution(Path dir) throws IOException {
        this.dir = dir;
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        jvmOptions.add("-Djava.io.tmpdir=" + tmp);
        jvmOptions.add("-Dmdev.log.file=" + logFile());
        jvmOptions.add("-Dmdev.web.token.file=" + dir.resolve("state").resolve("web-token"));
        jvmOptions.add("-Dorg.osgi.service.http.port=0");   // a free port: runs must not meet on 8080
        mdevctlRoot(dir.resolve("mdevctl"));
    }

    /** A framework property for the run, as {@code -Dkey=value}. */
    Distribution property(String key, String value) {
        jvmOptions.add("-D" + key + "=" + value);
        return this;
    }

    Distribution mdevctlRoot(Path root) {
        jvmOptions.removeIf(o -> o.startsWith("-Dmdev.mdevctl.root="));
        jvmOptions.add("-Dmdev.mdevctl.root=" + root);
        return this;
    }

    Path dir() {
        return dir;
    }

    /** The run's log file (the default one is in the user's state directory). */
    Path logFile() {
        return dir.resolve("state").resolve("mdev-osgi.log");
    }

    /** {@code java -jar mdev-osgi.jar --script FILE}. */
    Run script(Path file) throws IOException, InterruptedException {
        return run(null, false, "--script", file.toString());
    }

    /** {@code java -jar mdev-osgi.jar ARGS...} with nothing on standard input. */
    Run run(String... args) throws IOException, InterruptedException {
        return run(null, false, args);
    }

    /**
     * The interactive shell with {@code input} typed at its prompt; standard error merged into
     * standard output in the order written, as a user sees it.
     */
    Run shell(String input) throws IOException, InterruptedException {
        return run(input, true);
    }

    private Run run(String input, boolean mergeErrors, String... args) throws IOException, InterruptedException {
        List<String> command = command(args);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectErrorStream(mergeErrors);
        if (!mergeErrors) {
            builder.redirectError(err.toFile());
        }
        Process process = builder.start();
        try (OutputStream stdin = process.getOutputStream()) {
            if (input != null) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError(String.join(" ", args) + " did not end within " + TIMEOUT_SECONDS
                    + " s; it printed:\n" + Files.readString(out) + Files.readString(err));
        }
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Starts the jar and leaves it running (for tests that kill it). */
    Process start(Path stdoutAndErr, String... args) throws IOException {
        return new ProcessBuilder(command(args)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(stdoutAndErr.toFile()).start();
    }

    /**
     * The jar on a terminal: run under {@code script}, which gives it a pseudo-terminal, as a
     * user's terminal would (TERM=xterm); JLine keeps its history under {@code stateHome}.
     */
    Process startOnTerminal(Path stateHome) throws IOException {
        // exec: the shell script runs the command with must not stay as the JVM's parent, since a
        // Ctrl-C typed reaches the whole foreground group and a waiting dash dies of it (status 130)
        StringBuilder line = new StringBuilder("exec");
        for (String arg : command()) {
            line.append(" '").append(arg.replace("'", "'\\''")).append('\'');
        }
        ProcessBuilder builder = new ProcessBuilder("script", "-qfec", line.toString(), "/dev/null")
                .directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().put("TERM", "xterm");
        builder.environment().put("SHELL", "/bin/sh");   // what script runs the line with, as on a bare machine
        builder.environment().put("XDG_STATE_HOME", stateHome.toString());
        return builder.start();
    }

    /** The interactive shell, left running: commands are typed one at a time. */
    Shell openShell(String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "shell", ".txt");
        Process process = new ProcessBuilder(command(args)).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        Shell shell = new Shell(process, out);
        shell.awaitPrompts(1);
        return shell;
    }

    /** A running shell; {@link #command} types a line and returns what it printed before the next prompt. */
    static final class Shell implements AutoCloseable {
        private static final String PROMPT = "g! ";
        private final Process process;
        private final OutputStream in;
        private final Path out;
        private int prompts = 1;

        private Shell(Process process, Path out) {
            this.process = process;
            this.in = process.getOutputStream();
            this.out = out;
        }

        String command(String line) throws IOException, InterruptedException {
            int before = Files.readString(out).length();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
            String text = awaitPrompts(++prompts);
            return text.substring(before, text.lastIndexOf(PROMPT));
        }

        private String awaitPrompts(int count) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (true) {
                String text = Files.readString(out);
                int seen = 0;
                for (int at = text.indexOf(PROMPT); at >= 0; at = text.indexOf(PROMPT, at + 1)) {
                    seen++;
                }
                if (seen >= count) {
                    return text;
                }
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("the shell did not prompt again; it printed:\n" + text);
                }
                Thread.sleep(20);
            }
        }

        @Override
        public void close() throws IOException, InterruptedException {
            if (process.isAlive()) {
                in.write("exit\n".getBytes(StandardCharsets.UTF_8));
                in.flush();
                if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                }
            }
        }
    }

    /** The JDK running the tests (the machine's default), the jar and its options. */
    private List<String> command(String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-jar");
        command.add(JAR.toString());
        command.addAll(List.of(args));
        return command;
    }
}
