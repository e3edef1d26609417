package mdev.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shell scripts of src/test/acceptance, each run by {@code java -jar mdev-osgi.jar --script}
 * in a directory of its own: it must exit 0 and print its {@code .expected} file exactly. Paths
 * under the run's directory print relative to it, so the expected output names no temporary
 * directory.
 */
class ScriptsIT {
    @ParameterizedTest
    @ValueSource(strings = { "session", "virtio", "ccw", "ap", "mdevctl", "vfio-user", "vsva", "display" })
    void scriptPrintsWhatItsExpectedFileSays(String name, @TempDir Path dir) throws Exception {
        Distribution.Run run = new Distribution(dir).script(Distribution.SCRIPTS.resolve(name + ".gosh"));

        assertThat(run.exitCode()).as("%s.gosh exit code; it printed to stderr:%n%s", name, run.err()).isZero();
        assertThat(run.out().replace(dir.toRealPath() + "/", ""))
                .isEqualTo(Files.readString(Distribution.SCRIPTS.resolve(name + ".expected")));
    }

    @Test
    void aFailingCommandStopsTheScriptWithItsErrno(@TempDir Path dir) throws Exception {
        Distribution.Run run = new Distribution(dir).script(Distribution.SCRIPTS.resolve("failing.gosh"));

        assertThat(run.exitCode()).as("EEXIST").isEqualTo(17);
        assertThat(run.err()).contains("EEXIST: device 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001 already exists",
                "failing.gosh:3: failed: mdev:create mtty mtty-1 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");
        assertThat(run.out()).as("the line after the failure never ran").doesNotContain("(vfio");
    }
}
