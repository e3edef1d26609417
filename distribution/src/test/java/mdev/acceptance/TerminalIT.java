package mdev.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shell on a pseudo-terminal, typed at as a user types: Tab completes a command, the Up
 * arrow brings the last line back, Ctrl-C drops the line being typed and the framework goes on,
 * a warning logged meanwhile prints above the prompt in one line (and in the log file), and
 * the history is kept in the user's state directory.
 */
class TerminalIT {
    private final StringBuffer screen = new StringBuffer();

    private void await(String what, Predicate<String> seen) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!seen.test(screen.toString())) {
            assertThat(System.nanoTime()).as("%s; the terminal showed:%n%s", what, screen).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
            n++;
        }
        return n;
    }

    @Test
    void theShellEditsCompletesRemembersAndSurvivesCtrlC(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Distribution distribution = new Distribution(dir);
        Process shell = distribution.startOnTerminal(state);
        Thread reader = new Thread(() -> {
            byte[] buffer = new byte[4096];
            try (InputStream in = shell.getInputStream()) {
                for (int n; (n = in.read(buffer)) > 0;) {
                    screen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
            } catch (java.io.IOException closed) {
                // the shell ended
            }
        });
        reader.setDaemon(true);
        reader.start();
        OutputStream keys = shell.getOutputStream();
        try {
            await("the prompt", s -> s.contains("g! "));
            keys.write("mdev:ty\t mtty\r".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            await("Tab completing mdev:types", s -> s.contains("Available instances: 24"));
            assertThat(screen.toString()).contains("mdev:types  mtty");

            keys.write("\033OA\r".getBytes(StandardCharsets.UTF_8));   // Up, Enter
            keys.flush();
            await("the line brought back by Up", s -> count(s, "Available instances: 24") == 2);

            int prompts = count(screen.toString(), "g! ");
            keys.write("abc".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            await("abc echoed", s -> s.endsWith("abc"));
            keys.write(3);   // Ctrl-C drops the line (the terminal flushes what follows it, so wait)
            keys.flush();
            await("a fresh prompt after Ctrl-C", s -> count(s, "g! ") > prompts);
            // Ctrl-C again and again, typed at once, as an impatient user does: each gives a prompt
            for (int i = 0; i < 5; i++) {
                int before = count(screen.toString(), "g! ");
                keys.write(("x" + i).getBytes(StandardCharsets.UTF_8));
                keys.write(3);
                keys.flush();
                await("a prompt after Ctrl-C number " + (i + 2), s -> count(s, "g! ") > before);
            }
            int beforeList = count(screen.toString(), "g! ");
            keys.write("mdev:list\r".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            await("the prompt after mdev:list", s -> count(s, "g! ") > beforeList);
            assertThat(screen.toString()).as("the dropped line never ran").doesNotContain("abc: command not found",
                    "Command not found: abc");

            // a warning logged in the background prints above the prompt, in one line
            keys.write("mdev:create mtty mtty-1 5e1ec7ed-0000-4000-8000-0000000000aa\r".getBytes(StandardCharsets.UTF_8));
            keys.write("vfio-user:configure 5e1ec7ed-0000-4000-8000-0000000000aa /proc/nowhere/x.sock\r"
                    .getBytes(StandardCharsets.UTF_8));
            keys.flush();
            await("the warning above the prompt", s -> s.contains("WARN ConfiguredSocket: cannot serve"));
            assertThat(screen.toString()).as("not JUL's two-line format").doesNotContain("ConfiguredSocket$1 addingService");

            keys.write("exit\r".getBytes(StandardCharsets.UTF_8));
            keys.flush();
            assertThat(shell.waitFor(30, TimeUnit.SECONDS)).as("exit ends it; the terminal showed:%n%s", screen).isTrue();
            assertThat(shell.exitValue()).as("exit status; the terminal showed:%n%s", screen).isZero();
            assertThat(screen.toString()).as("no stack trace on the terminal").doesNotContain("Exception", "\tat ");
        } finally {
            shell.destroyForcibly();
        }
        Path history = state.resolve("mdev-osgi").resolve("history");
        assertThat(Files.readString(history)).contains("mdev:types  mtty").doesNotContain("abc");
        // the log file has the record with its bundle and logger, once
        String log = Files.readString(distribution.logFile());
        assertThat(count(log, "WARN [vfio.user] vfio.user.internal.ConfiguredSocket: cannot serve")).isEqualTo(1);
    }
}
