package mdev.log.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LogFileTest {
    @Test
    void createdPrivateAppendedAndRotatedAtItsLimit(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("state/mdev-osgi/mdev-osgi.log");
        try (LogFile file = new LogFile(path, 100)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent()))).isEqualTo("rwx------");
            file.append("a".repeat(60) + "\n");
            file.append("b".repeat(30) + "\n");
            assertThat(Files.readString(path)).isEqualTo("a".repeat(60) + "\n" + "b".repeat(30) + "\n");
            file.append("c".repeat(20) + "\n");   // past 100 bytes: the old content becomes .1
        }
        assertThat(Files.readString(path)).isEqualTo("c".repeat(20) + "\n");
        assertThat(Files.readString(dir.resolve("state/mdev-osgi/mdev-osgi.log.1"))).startsWith("a".repeat(60));
        try (LogFile again = new LogFile(path, 100)) {
            again.append("d\n");   // a new run appends
        }
        assertThat(Files.readString(path)).isEqualTo("c".repeat(20) + "\nd\n");
    }
}
