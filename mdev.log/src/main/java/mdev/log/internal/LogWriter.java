package mdev.log.internal;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import mdev.log.LogConsole;
import mdev.log.Logs;

/**
 * Writes what the Log Service records: every record to the log file (time, level, bundle, logger,
 * message, stack trace), those at or above the console level to the console in one line. A
 * record equal to the one before (same bundle, logger, level and message) is counted, not
 * repeated, and the count is written when a different one comes. The Log Service's own
 * framework, bundle and service events ({@code Events.*}) reach the console only as warnings,
 * and service events reach the file only as warnings too (one INFO record per registration).
 *
 * <p>While it runs, what is logged through java.util.logging goes to the Log Service too
 * ({@link JulBridge}).
 *
 * <p>Records come from the Log Service's single delivery thread; {@code this} guards the file
 * and the repeat count against deactivation.
 */
@Component(immediate = true, configurationPid = LogWriter.PID)
@Designate(ocd = LogWriter.Config.class)
public final class LogWriter implements LogListener {
    static final String PID = "mdev.log";
    /** Framework property naming the log file when the configuration does not. */
    static final String FILE_PROPERTY = "mdev.log.file";
    /** Framework property giving the console level when the configuration does not. */
    static final String CONSOLE_LEVEL_PROPERTY = "mdev.log.console.level";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    @ObjectClassDefinition(name = "mdev-osgi log output",
            description = "Where log records go. Which records are made is set per bundle by the "
                    + "Log Service's own configurations (PID org.osgi.service.log.admin, and "
                    + "org.osgi.service.log.admin|<bundle> for one bundle).")
    @interface Config {
        @AttributeDefinition(description = "Lowest level shown on the console: ERROR, WARN, INFO, DEBUG, TRACE "
                + "or OFF; empty: the framework property mdev.log.console.level, else WARN")
        String console_level() default "";

        @AttributeDefinition(description = "The log file; empty: the framework property mdev.log.file, else "
                + "$XDG_STATE_HOME/mdev-osgi/mdev-osgi.log (~/.local/state when unset); '-': no file")
        String file() default "";

        @AttributeDefinition(description = "Size in KiB at which the file is renamed to .1 and started afresh", min = "16")
        int file_max_kib() default 1024;
    }

    private final LogReaderService reader;
    /** The least severe level printed on the console; null: nothing is. */
    private final LogLevel consoleLevel;
    private final LogFile file;
    private final Console console = new Console();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile LogConsole logConsole;

    private LogEntry last;
    private int repeats;

    private final JulBridge jul;

    @Activate
    public LogWriter(@Reference LogReaderService reader, @Reference LoggerFactory loggers, Config config,
            BundleContext context) {
        this.reader = reader;
        this.consoleLevel = level(config.console_level().isBlank()
                ? Objects.requireNonNullElse(context.getProperty(CONSOLE_LEVEL_PROPERTY), "WARN") : config.console_level());
        this.file = openFile(fileName(config.file(), context.getProperty(FILE_PROPERTY)), config.file_max_kib());
        // what was logged before this writer ran (the Log Service keeps recent records), oldest first
        List<LogEntry> earlier = Collections.list(reader.getLog());
        Collections.reverse(earlier);
        synchronized (this) {
            earlier.forEach(this::toFile);
        }
        reader.addLogListener(this);
        this.jul = JulBridge.install(loggers);
    }

    @Deactivate
    void deactivate() {
        jul.uninstall();
        reader.removeLogListener(this);
        synchronized (this) {
            flushRepeats();
            if (file != null) {
                try {
                    file.close();
                } catch (IOException ignored) {
                    // nothing more to write to
                }
            }
        }
    }

    @Override
    public synchronized void logged(LogEntry entry) {
        if (isServiceEventNoise(entry)) {
            return;
        }
        if (last != null && same(last, entry)) {
            repeats++;
            return;
        }
        flushRepeats();
        last = entry;
        toFile(entry);
        if (showOnConsole(entry)) {
            console.print(Logs.consoleLine(LocalTime.ofInstant(Instant.ofEpochMilli(entry.getTime()), ZoneId.systemDefault()),
                    entry.getLogLevel().name(), entry.getLoggerName(), entry.getMessage(), entry.getException()));
        }
    }

    private void flushRepeats() {
        if (repeats > 0) {
            String line = "(the line above repeated " + repeats + " more time" + (repeats == 1 ? "" : "s") + ")";
            writeFile(line + System.lineSeparator());
            if (showOnConsole(last)) {
                console.print(line);
            }
            repeats = 0;
        }
    }

    /** Every service registered or unregistered is an INFO record; only warnings of that kind are kept. */
    private static boolean isServiceEventNoise(LogEntry entry) {
        return entry.getLoggerName() != null && entry.getLoggerName().startsWith("Events.Service")
                && !LogLevel.WARN.implies(entry.getLogLevel());
    }

    private boolean showOnConsole(LogEntry entry) {
        if (consoleLevel == null) {
            return false;
        }
        LogLevel threshold = entry.getLoggerName() != null && entry.getLoggerName().startsWith("Events.")
                ? LogLevel.WARN : consoleLevel;
        return threshold.implies(entry.getLogLevel());
    }

    private void toFile(LogEntry entry) {
        if (file == null || isServiceEventNoise(entry)) {
            return;
        }
        StringBuilder text = new StringBuilder()
                .append(STAMP.format(Instant.ofEpochMilli(entry.getTime()).atZone(ZoneId.systemDefault()))).append(' ')
                .append(entry.getLogLevel().name()).append(' ')
                .append('[').append(entry.getBundle() == null ? "-" : entry.getBundle().getSymbolicName()).append("] ")
                .append(entry.getLoggerName()).append(": ").append(entry.getMessage()).append(System.lineSeparator());
        if (entry.getException() != null) {
            StringWriter trace = new StringWriter();
            entry.getException().printStackTrace(new PrintWriter(trace));
            text.append(trace);
        }
        writeFile(text.toString());
    }

    private void writeFile(String text) {
        if (file == null) {
            return;
        }
        try {
            file.append(text);
        } catch (IOException e) {
            console.print("cannot write " + file.path() + ": " + e.getMessage());
        }
    }

    private static boolean same(LogEntry a, LogEntry b) {
        return a.getBundle() == b.getBundle() && a.getLogLevel() == b.getLogLevel()
                && Objects.equals(a.getLoggerName(), b.getLoggerName()) && Objects.equals(a.getMessage(), b.getMessage());
    }

    static LogLevel level(String name) {
        if (name.strip().equalsIgnoreCase("OFF")) {
            return null;
        }
        try {
            return LogLevel.valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("console_level '" + name + "' is not one of ERROR, WARN, INFO, DEBUG, TRACE, OFF");
        }
    }

    /** The file chosen by configuration, else by the framework property, else the state directory; null: none. */
    static Path fileName(String configured, String frameworkProperty) {
        String chosen = configured != null && !configured.isBlank() ? configured
                : frameworkProperty != null && !frameworkProperty.isBlank() ? frameworkProperty : null;
        if ("-".equals(chosen)) {
            return null;
        }
        if (chosen != null) {
            return Path.of(chosen);
        }
        String state = System.getenv("XDG_STATE_HOME");
        Path base = state != null && !state.isBlank() ? Path.of(state)
                : Path.of(System.getProperty("user.home"), ".local", "state");
        return base.resolve("mdev-osgi").resolve("mdev-osgi.log");
    }

    private LogFile openFile(Path path, int maxKib) {
        if (path == null) {
            return null;
        }
        try {
            return new LogFile(path, Math.max(16, maxKib) * 1024L);
        } catch (IOException | RuntimeException e) {
            console.print("no log file: cannot open " + path + " (" + e.getMessage() + ")");
            return null;
        }
    }

    /** The registered console if there is one, else standard error. */
    private final class Console {
        void print(String line) {
            LogConsole target = logConsole;
            if (target != null) {
                target.printLine(line);
            } else {
                StandardError.print(line);
            }
        }
    }
}
