package mdev.mdevctl.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * mdevctl 1.3's callout and notifier scripts ({@code etc/mdevctl.d/scripts.d/callouts} and
 * {@code .../notifiers}): each executable is run with {@code -t TYPE -e EVENT -a ACTION -s STATE
 * -u UUID -p PARENT} and the device's JSON on standard input. For a {@code pre} event, the scripts
 * are tried in name order until one answers for the type (exit 2 means "not my type"): exit 0
 * lets the action go on, any other status stops it (unless forced). {@code post} events tell the
 * scripts how the action went; notifiers hear every action after it, with event {@code notify};
 * what they answer is not used.
 */
final class Callouts {
    static final int NOT_MY_TYPE = 2;
    private static final long TIMEOUT_SECONDS = 30;

    private final Path callouts;
    private final Path notifiers;
    private final Consumer<String> warn;

    Callouts(Path definitions, Consumer<String> warn) {
        this.callouts = definitions.resolve("scripts.d").resolve("callouts");
        this.notifiers = definitions.resolve("scripts.d").resolve("notifiers");
        this.warn = warn;
    }

    /** Before an action: EPERM naming the script when a callout for the type refuses it (unless {@code force}). */
    void pre(String action, MdevDefinition device, String json, boolean force) {
        for (Path script : executables(callouts)) {
            int status = run(script, "pre", action, "none", device, json);
            if (status == NOT_MY_TYPE) {
                continue;
            }
            if (status != 0) {
                String why = "callout script " + script + " refused " + action + " of " + device.uuid() + " (exit " + status + ")";
                if (!force) {
                    throw new ErrnoException(Errno.EPERM, why);
                }
                warn.accept(why + "; forced");
            }
            return;
        }
    }

    /** After an action: the callouts' post event, then every notifier. */
    void post(String action, MdevDefinition device, String json, boolean success) {
        String state = success ? "success" : "failure";
        for (Path script : executables(callouts)) {
            if (run(script, "post", action, state, device, json) != NOT_MY_TYPE) {
                break;
            }
        }
        for (Path script : executables(notifiers)) {
            run(script, "notify", action, state, device, json);
        }
    }

    private static List<Path> executables(Path dir) {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(p -> {
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    found.add(p);
                }
            });
        } catch (IOException e) {
            return found;
        }
        found.sort(null);
        return found;
    }

    /** Runs one script; its exit status, or -1 when it could not run or ran too long. */
    private int run(Path script, String event, String action, String state, MdevDefinition device, String json) {
        List<String> command = List.of(script.toString(), "-t", device.type(), "-e", event, "-a", action, "-s", state,
                "-u", device.uuid().toString(), "-p", device.parent());
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(json.getBytes(StandardCharsets.UTF_8));
            } catch (IOException closedEarly) {
                // the script did not read its input
            }
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                warn.accept("callout script " + script + " ran longer than " + TIMEOUT_SECONDS + " s; stopped");
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            warn.accept("callout script " + script + " could not run: " + e.getMessage());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
