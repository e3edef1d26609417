package mdev.mdevctl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process killed with SIGKILL in the middle of a burst of defines and modifies leaves every
 * definition whole: each file parses, the next start removes the temporary leftovers.
 */
class KillDuringDefinesTest {
    @TempDir
    Path root;

    @RepeatedTest(5)
    void killedMidBurstEveryFileIsWhole() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process burst = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                DefineBurst.class.getName(), root.toString()).redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(burst.getInputStream()))) {
            assertThat(out.readLine()).isEqualTo("writing");
            Thread.sleep(ThreadLocalRandom.current().nextInt(100, 600));
            burst.destroyForcibly();   // SIGKILL: no shutdown hook, no finally
            assertThat(burst.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        List<String> reports = new ArrayList<>();
        DefinitionStore store = new DefinitionStore(root, reports::add);
        int definitions;
        try (Stream<Path> files = Files.list(root.resolve("etc/mdevctl.d/matrix"))) {
            definitions = (int) files.filter(f -> !f.getFileName().toString().startsWith(".")).count();
        }
        assertThat(store.list()).hasSize(definitions).allSatisfy(d -> {
            assertThat(d.type()).isEqualTo("vfio_ap-passthrough");
            assertThat(d.attrs()).allSatisfy(a -> assertThat(a.value()).startsWith("0xfff"));
        });
        assertThat(definitions).isPositive();
        assertThat(reports).isEmpty();
        store.removeLeftovers();
        try (Stream<Path> files = Files.list(root.resolve("etc/mdevctl.d/matrix"))) {
            assertThat(files).hasSize(definitions);
        }
    }
}
