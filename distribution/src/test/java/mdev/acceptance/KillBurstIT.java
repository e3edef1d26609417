package mdev.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the whole framework in the middle of a burst of mdevctl defines and modifies:
 * afterwards every definition file is whole (the next run lists each one, reports nothing
 * unreadable, and removes the temporaries of cut writes).
 */
class KillBurstIT {
    private static final int DEVICES = 500;
    private static final int KILL_AFTER = 50;

    @Test
    void everyDefinitionIsWholeAfterAKillMidBurst(@TempDir Path dir) throws Exception {
        Distribution jar = new Distribution(dir);
        Path defs = dir.resolve("mdevctl/etc/mdevctl.d/matrix");
        List<String> burst = new ArrayList<>();
        for (int i = 0; i < DEVICES; i++) {
            String uuid = String.format("5e1f0000-0000-4000-8000-%012d", i);
            burst.add("mdevctl define -u " + uuid + " -p matrix -t vfio_ap-passthrough");
            burst.add("mdevctl modify -u " + uuid + " --addattr assign_domain --value 4");
            burst.add("mdevctl modify -u " + uuid + " --addattr assign_adapter --value 3 --index 0");
        }
        Path script = Files.write(dir.resolve("burst.gosh"), burst);

        Process framework = jar.start(dir.resolve("burst.out"), "--script", script.toString());
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (definitions(defs) < KILL_AFTER && framework.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        framework.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook, no framework stop
        long files = definitions(defs);
        assertThat(files).as("the kill landed mid-burst").isBetween((long) KILL_AFTER, (long) DEVICES - 1);

        Distribution.Run after = jar.run("mdevctl", "list", "-d");
        assertThat(after.exitCode()).isZero();
        assertThat(after.out().lines().filter(l -> l.contains("matrix vfio_ap-passthrough manual")))
                .as("every definition file listed").hasSize((int) files);
        assertThat(after.err()).as("nothing unreadable").doesNotContain("skipping");
        try (Stream<Path> left = Files.list(defs)) {
            assertThat(left.map(p -> p.getFileName().toString())).as("temporaries removed at start")
                    .noneMatch(name -> name.startsWith("."));
        }
    }

    private static long definitions(Path defs) throws IOException {
        if (!Files.isDirectory(defs)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(defs)) {
            return files.filter(p -> !p.getFileName().toString().startsWith(".")).count();
        }
    }
}
