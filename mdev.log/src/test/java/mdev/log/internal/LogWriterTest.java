package mdev.log.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.LocalTime;

import org.junit.jupiter.api.Test;
import org.osgi.service.log.LogLevel;

import mdev.log.Logs;

class LogWriterTest {
    @Test
    void theFileIsConfiguredElseTheFrameworkPropertyElseTheStateDirectory() {
        assertThat(LogWriter.fileName("/var/log/x.log", "/tmp/y.log")).isEqualTo(Path.of("/var/log/x.log"));
        assertThat(LogWriter.fileName("", "/tmp/y.log")).isEqualTo(Path.of("/tmp/y.log"));
        assertThat(LogWriter.fileName("-", "/tmp/y.log")).isNull();
        assertThat(LogWriter.fileName("", "-")).isNull();
        assertThat(LogWriter.fileName(null, null).toString()).endsWith("/mdev-osgi/mdev-osgi.log");
    }

    @Test
    void consoleLevelsByNameOrOff() {
        assertThat(LogWriter.level("warn")).isEqualTo(LogLevel.WARN);
        assertThat(LogWriter.level(" DEBUG ")).isEqualTo(LogLevel.DEBUG);
        assertThat(LogWriter.level("off")).isNull();
        assertThatThrownBy(() -> LogWriter.level("LOUD")).hasMessageContaining("'LOUD'")
                .hasMessageContaining("ERROR, WARN, INFO, DEBUG, TRACE, OFF");
    }

    @Test
    void theConsoleLineIsOneLineWithTheClassNameAndTheCause() {
        assertThat(Logs.consoleLine(LocalTime.of(12, 34, 56), "WARN", "vfio.user.internal.ConfiguredSocket",
                "cannot serve\nx", new java.io.IOException("gone")))
                .isEqualTo("12:34:56 WARN ConfiguredSocket: cannot serve x (java.io.IOException: gone)");
        assertThat(Logs.consoleLine(LocalTime.of(1, 2, 3), "ERROR", null, "m", null)).isEqualTo("01:02:03 ERROR m");
    }
}
