package mdev.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;
import org.osgi.service.log.LogReaderService;
import org.osgi.service.log.admin.LoggerAdmin;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;

import mdev.core.MdevBus;
import mdev.log.Logs;

/**
 * Logging through the OSGi Log Service: a class's logger logs as the class's own bundle (so a
 * vendor bundle's records name it), levels are set per bundle by the standard
 * {@code org.osgi.service.log.admin|<bundle>} configuration, and the log file gets every record
 * once, a run of equal ones counted.
 */
class LogIT {
    @InjectBundleContext
    BundleContext context;
    @InjectService
    LogReaderService reader;
    @InjectService
    LoggerAdmin loggerAdmin;
    @InjectService
    ConfigurationAdmin configAdmin;
    @InjectService
    MdevBus bus;

    private final List<LogEntry> seen = new CopyOnWriteArrayList<>();
    private final LogListener listener = seen::add;
    private Configuration levels;

    @BeforeEach
    void listen() {
        reader.addLogListener(listener);
    }

    @AfterEach
    void stop() throws Exception {
        reader.removeLogListener(listener);
        if (levels != null) {
            levels.delete();
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException notYet) {
            return "";
        }
    }

    private List<LogEntry> withMessage(String part) {
        return seen.stream().filter(e -> e.getMessage() != null && e.getMessage().contains(part)).toList();
    }

    @Test
    void aClassLogsAsItsOwnBundleUnderItsName() throws Exception {
        String marker = "marker " + UUID.randomUUID();
        Logs.of(LogIT.class).log(System.Logger.Level.WARNING, marker);
        Fixture.await("the record delivered", () -> !withMessage(marker).isEmpty());
        LogEntry entry = withMessage(marker).get(0);
        assertThat(entry.getBundle()).isEqualTo(FrameworkUtil.getBundle(LogIT.class));
        assertThat(entry.getLoggerName()).isEqualTo(LogIT.class.getName());
        assertThat(entry.getLogLevel()).isEqualTo(LogLevel.WARN);

        // a product bundle's record names that bundle: vfio.user cannot serve on an impossible path
        UUID uuid = UUID.fromString("1061c0de-0000-4000-8000-000000000001");
        bus.create("mtty", "mtty-1", uuid);
        Configuration socket = configAdmin.getFactoryConfiguration("vfio.user.socket", "logit", "?");
        try {
            socket.update(new Hashtable<>(Map.of("uuid", uuid.toString(), "path", "/proc/nowhere/x.sock")));
            Fixture.await("vfio.user's warning", () -> !withMessage("cannot serve " + uuid).isEmpty());
            LogEntry warning = withMessage("cannot serve " + uuid).get(0);
            assertThat(warning.getBundle().getSymbolicName()).isEqualTo("vfio.user");
            assertThat(warning.getLoggerName()).isEqualTo("vfio.user.internal.ConfiguredSocket");
        } finally {
            socket.delete();
            bus.remove(uuid);
        }
    }

    @Test
    void levelsAreSetPerBundleFromConfiguration() throws Exception {
        Bundle self = FrameworkUtil.getBundle(LogIT.class);
        System.Logger log = Logs.of(LogIT.class);
        assertThat(log.isLoggable(System.Logger.Level.DEBUG)).as("DEBUG is off by default").isFalse();

        levels = configAdmin.getConfiguration("org.osgi.service.log.admin|" + self.getSymbolicName(), "?");
        levels.update(new Hashtable<>(Map.of("ROOT", "ERROR", LogIT.class.getName(), "DEBUG")));
        Fixture.await("the level applied", () -> loggerAdmin.getLoggerContext(self.getSymbolicName())
                .getEffectiveLogLevel(LogIT.class.getName()) == LogLevel.DEBUG);
        assertThat(log.isLoggable(System.Logger.Level.DEBUG)).isTrue();
        String debug = "debug " + UUID.randomUUID();
        log.log(System.Logger.Level.DEBUG, debug);
        Fixture.await("the debug record", () -> !withMessage(debug).isEmpty());

        // another class of the same bundle keeps the bundle's ROOT level
        System.Logger other = Logs.of(Fixture.class);
        assertThat(other.isLoggable(System.Logger.Level.WARNING)).isFalse();
        assertThat(other.isLoggable(System.Logger.Level.ERROR)).isTrue();
        // and other bundles are untouched
        assertThat(loggerAdmin.getLoggerContext("vfio.user").getEffectiveLogLevel("vfio.user.internal.Connection"))
                .isEqualTo(LogLevel.INFO);
    }

    @Test
    void theFileHasEveryRecordOnceAndCountsRepeats() throws Exception {
        Path file = Path.of(context.getProperty("mdev.log.file"));
        System.Logger log = Logs.of(LogIT.class);
        String same = "same " + UUID.randomUUID();
        for (int i = 0; i < 5; i++) {
            log.log(System.Logger.Level.WARNING, same);
        }
        String after = "after " + UUID.randomUUID();
        log.log(System.Logger.Level.WARNING, after);
        Fixture.await("the file written", () -> read(file).contains(after));
        List<String> lines = Files.readAllLines(file);
        int at = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(same)) {
                assertThat(at).as("written once").isEqualTo(-1);
                at = i;
            }
        }
        assertThat(lines.get(at)).matches("\\d{4}-\\d\\d-\\d\\dT\\S+ WARN \\[itest-tests\\] mdev\\.itest\\.LogIT: " + same);
        assertThat(lines.get(at + 1)).isEqualTo("(the line above repeated 4 more times)");
        assertThat(lines.get(at + 2)).contains(after);
    }
}
