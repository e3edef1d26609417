package mdev.mdevctl.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.JsonNode;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * mdevctl 1.3's callout and notifier scripts. Callouts live in
 * {@code ROOT/usr/lib/mdevctl/scripts.d/callouts} and then {@code ROOT/etc/mdevctl.d/scripts.d/callouts},
 * notifiers in the {@code notifiers} directories beside them. Each script is run as
 * {@code SCRIPT -t TYPE -e EVENT -a ACTION -s STATE -u UUID -p PARENT}, with the device's JSON on
 * standard input for {@code pre}, {@code post} and {@code live}.
 *
 * <p>Finding a device's script: first a <em>versioned</em> one, asked with {@code get
 * capabilities} (standard input {@code {"provides":{...}}}) and answering
 * {@code {"supports":{"version":N,"actions":[...],"events":[...]}}}; it is kept per parent and
 * type for the verb and gets only the events and actions it supports. Without one, each event
 * goes to the scripts in name order until one does not answer 2 ("not my type"); that one then
 * takes the device's later events as a version-1 script. A status other than 0 from the script
 * that answers is a failure: a {@code pre} failure stops the action (unless forced), a
 * {@code post} failure is ignored. Notifiers hear every action afterwards ({@code notify}),
 * whatever they answer. What a script writes on standard error is reported as
 * {@code NAME: text}.
 */
final class Callouts {
    static final int NOT_MY_TYPE = 2;
    private static final long TIMEOUT_SECONDS = 30;

    enum Event {
        PRE, POST, LIVE, NOTIFY, GET;

        String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    enum Action {
        START, STOP, DEFINE, UNDEFINE, MODIFY, ATTRIBUTES, CAPABILITIES;

        String word() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** mdevctl's Debug form of the action ({@code Modify}), as its messages print it. */
        String debugName() {
            return name().charAt(0) + name().substring(1).toLowerCase(Locale.ROOT);
        }
    }

    /** What a script supports: its answer to {@code get capabilities}, or version 1 for one found by trying. */
    record Supports(int version, Set<String> actions, Set<String> events) {
        static final Supports V1 = new Supports(1, Set.of("start", "stop", "define", "undefine", "modify", "attributes"),
                Set.of("pre", "post", "notify", "get"));
        /** What this mdevctl offers a script (version 2 of the callout interface). */
        static final Supports PROVIDED = new Supports(2, orderedWords(Action.values()), orderedWords(Event.PRE,
                Event.POST, Event.NOTIFY, Event.GET, Event.LIVE));

        boolean has(Event event, Action action) {
            return events.contains(event.word()) && actions.contains(action.word());
        }

        private static Set<String> orderedWords(Enum<?>... values) {
            Set<String> words = new LinkedHashSet<>();
            for (Enum<?> v : values) {
                words.add(v.name().toLowerCase(Locale.ROOT));
            }
            return words;
        }
    }

    /** A script and what it takes. */
    record Script(Path path, Supports supports) {
    }

    /** How a script ended: its status and what it printed. */
    record Output(int status, String stdout, String stderr) {
    }

    private final List<Path> calloutDirs;
    private final List<Path> notifierDirs;
    private final Consumer<String> warn;
    /** Versioned scripts found in this verb, by parent and type (empty: none answered). */
    private final Map<String, Optional<Script>> versioned = new HashMap<>();

    /** The callouts of the mdevctl root whose {@code etc/mdevctl.d} is {@code definitions}. */
    Callouts(Path definitions, Consumer<String> warn) {
        Path root = definitions.getParent().getParent();
        Path lib = root.resolve("usr/lib/mdevctl/scripts.d");
        Path etc = definitions.resolve("scripts.d");
        this.calloutDirs = List.of(lib.resolve("callouts"), etc.resolve("callouts"));
        this.notifierDirs = List.of(lib.resolve("notifiers"), etc.resolve("notifiers"));
        this.warn = warn;
    }

    /** A verb begins: scripts may have changed since the last one, so nothing found is kept. */
    void newVerb() {
        versioned.clear();
    }

    /** The callouts of one device during a verb (mdevctl's Callout). */
    Session session(MdevDefinition device, String json) {
        return new Session(device, json);
    }

    final class Session {
        private final MdevDefinition device;
        private final String json;
        private Script script;
        private String state = "none";

        private Session(MdevDefinition device, String json) {
            this.device = device;
            this.json = json;
        }

        /**
         * An action with its callouts: pre (a failure stops it unless {@code force}), the action,
         * post, then the notifiers, which hear of it even when pre refused.
         */
        void invoke(Action action, boolean force, Runnable body) {
            script = findVersioned(device);
            try {
                callout(Event.PRE, action, json);
            } catch (ErrnoException refused) {
                if (!force) {
                    notify(action);
                    throw refused;
                }
                warn.accept("Forcing operation '" + action.word() + "' despite callout failure. Error was: "
                        + refused.getMessage());
            }
            try {
                body.run();
                state = "success";
            } catch (RuntimeException failed) {
                state = "failure";
                postQuietly(action);
                notify(action);
                throw failed;
            }
            postQuietly(action);
            notify(action);
        }

        private void postQuietly(Action action) {
            try {
                callout(Event.POST, action, json);
            } catch (ErrnoException ignored) {
                // mdevctl ignores how post went
            }
        }

        /**
         * {@code get attributes}: the device's attributes as its script reads them (a JSON array
         * of one-key objects), or null when no script answers or it printed nothing.
         */
        JsonNode attributes() {
            script = findVersioned(device);
            Output out = callout(Event.GET, Action.ATTRIBUTES, null);
            if (out == null || out.stdout().isEmpty()) {
                return null;
            }
            String text = out.stdout().replaceAll("\u0000+$", "").strip();
            if (text.equals("[{}]")) {
                text = "[]";
            }
            JsonNode attrs = SerdeJson.parse(text, "the attributes of callout script " + script.path().getFileName());
            if (!attrs.isArray()) {
                throw new ErrnoException(Errno.EINVAL, "Invalid JSON received from callout script " + script.path());
            }
            return attrs;
        }

        /**
         * {@code live modify}: the running device is changed by its versioned script, which must
         * support the live event; the notifiers hear of it.
         */
        void modifyLive() {
            script = findVersioned(device);
            if (script == null) {
                throw new ErrnoException(Errno.EOPNOTSUPP,
                        "No callout script with version support found that supports live modify");
            }
            try {
                requireSupport(Event.LIVE, Action.MODIFY);
                callout(Event.LIVE, Action.MODIFY, json);
            } finally {
                notify(Action.MODIFY);
            }
        }

        private void requireSupport(Event event, Action action) {
            if (!script.supports().actions().contains(action.word())) {
                throw new ErrnoException(Errno.EOPNOTSUPP,
                        "Script \"" + script.path() + "\" does not support action '" + action.debugName() + "'");
            }
            if (!script.supports().events().contains(event.word())) {
                throw new ErrnoException(Errno.EOPNOTSUPP, "Script \"" + script.path() + "\" does not support event '"
                        + event.name().charAt(0) + event.name().substring(1).toLowerCase(Locale.ROOT) + "'");
            }
        }

        /** One event: to the device's script if known, else to the first script that takes the type. */
        private Output callout(Event event, Action action, String stdin) {
            if (script != null) {
                requireSupport(event, action);
                Output out = run(script.path(), event, action, state, device, stdin);
                if (out == null) {
                    throw failure(script.path(), "unknown");
                }
                reportErrors(script.path(), out);
                if (out.status() != 0) {
                    throw failure(script.path(), Integer.toString(out.status()));
                }
                return out;
            }
            for (Path dir : calloutDirs) {
                for (Path candidate : files(dir)) {
                    Output out = run(candidate, event, action, state, device, stdin);
                    if (out == null || out.status() == NOT_MY_TYPE) {
                        continue;
                    }
                    reportErrors(candidate, out);
                    if (out.status() != 0) {
                        throw failure(candidate, Integer.toString(out.status()));
                    }
                    script = new Script(candidate, Supports.V1);
                    return out;
                }
            }
            return null;
        }

        private void notify(Action action) {
            for (Path dir : notifierDirs) {
                for (Path notifier : files(dir)) {
                    run(notifier, Event.NOTIFY, action, state, device, null);
                }
            }
        }
    }

    /** The versioned script of the device's parent and type: the first that answers get capabilities. */
    private Script findVersioned(MdevDefinition device) {
        String key = device.parent() + "\u0000" + device.type();
        Optional<Script> known = versioned.get(key);
        if (known != null) {
            return known.orElse(null);
        }
        String provides = SerdeJson.MAPPER.createObjectNode().set("provides", supportsJson(Supports.PROVIDED)).toString();
        Script found = null;
        search:
        for (Path dir : calloutDirs) {
            for (Path candidate : files(dir)) {
                Output out = run(candidate, Event.GET, Action.CAPABILITIES, "none", device, provides);
                if (out == null || out.status() == NOT_MY_TYPE) {
                    continue;
                }
                Supports supports = parseSupports(out.stdout());
                if (supports != null) {
                    reportErrors(candidate, out);
                    found = new Script(candidate, supports);
                    break search;
                }
            }
        }
        versioned.put(key, Optional.ofNullable(found));
        return found;
    }

    private static JsonNode supportsJson(Supports s) {
        var node = SerdeJson.MAPPER.createObjectNode();
        node.put("version", s.version());
        s.actions().forEach(node.putArray("actions")::add);
        s.events().forEach(node.putArray("events")::add);
        return node;
    }

    /** A script's {@code {"supports":{...}}} answer, or null when it is not one. */
    static Supports parseSupports(String stdout) {
        JsonNode root;
        try {
            root = SerdeJson.MAPPER.readTree(stdout.replaceAll("\u0000+$", ""));
        } catch (IOException e) {
            return null;
        }
        JsonNode s = root == null ? null : root.get("supports");
        if (s == null || !s.isObject() || !s.path("version").canConvertToInt() || !s.path("actions").isArray()
                || !s.path("events").isArray()) {
            return null;
        }
        Set<String> actions = new LinkedHashSet<>();
        s.get("actions").forEach(a -> actions.add(a.asText()));
        Set<String> events = new LinkedHashSet<>();
        s.get("events").forEach(e -> events.add(e.asText()));
        return new Supports(s.get("version").asInt(), actions, events);
    }

    private static ErrnoException failure(Path script, String status) {
        return new ErrnoException(Errno.EPERM, "Script '\"" + script + "\"' failed with status '" + status + "'");
    }

    private void reportErrors(Path script, Output out) {
        if (!out.stderr().isEmpty()) {
            warn.accept(script.getFileName() + ": " + out.stderr().stripTrailing());
        }
    }

    private static List<Path> files(Path dir) {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            stream.forEach(p -> {
                if (Files.isRegularFile(p)) {
                    found.add(p);
                }
            });
        } catch (IOException e) {
            return found;
        }
        found.sort(null);
        return found;
    }

    /** Runs one script; how it ended, or null when it could not run, ran too long or died of a signal. */
    private Output run(Path script, Event event, Action action, String state, MdevDefinition device, String stdin) {
        List<String> command = List.of(script.toString(), "-t", device.type(), "-e", event.word(), "-a", action.word(),
                "-s", state, "-u", device.uuid().toString(), "-p", device.parent());
        Process p;
        try {
            p = new ProcessBuilder(command).start();
        } catch (IOException cannotRun) {
            return null;   // mdevctl goes on to the next script
        }
        FutureTask<String> stdout = drain(p.getInputStream());
        FutureTask<String> stderr = drain(p.getErrorStream());
        try (OutputStream in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException closedEarly) {
            // the script did not read its input
        }
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                warn.accept("callout script " + script + " ran longer than " + TIMEOUT_SECONDS + " s; stopped");
                return null;
            }
            int status = p.exitValue();
            if (status > 128) {
                warn.accept("callout script " + script + " was terminated by a signal");
                return null;
            }
            return new Output(status, stdout.get(5, TimeUnit.SECONDS), stderr.get(5, TimeUnit.SECONDS));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return null;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return new Output(p.exitValue(), "", "");
        }
    }

    /** Reads a script's output on a thread of its own, so a script that fills one pipe cannot stall. */
    private static FutureTask<String> drain(InputStream stream) {
        FutureTask<String> text = new FutureTask<>(() -> {
            try (stream) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                stream.transferTo(bytes);
                return bytes.toString(StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        Thread reader = new Thread(text, "mdevctl callout output");
        reader.setDaemon(true);
        reader.start();
        return text;
    }
}
