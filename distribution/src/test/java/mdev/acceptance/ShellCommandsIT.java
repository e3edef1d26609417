package mdev.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Gogo resolves an unscoped command to whichever scope has that function, so a function of ours
 * named like one of the shell's own ({@code stop}, {@code start}, {@code lb}, {@code help}, ...)
 * would take over that name. None does. (SCR's {@code scr:list} and {@code scr:info} share their
 * names with ours, as our scopes share {@code list} among themselves: those are always written
 * with their scope.)
 */
class ShellCommandsIT {
    /** Scopes of the shell's own commands: gogo.command's bundle and framework commands, gogo.runtime's built-ins. */
    private static final Set<String> FRAMEWORK_SCOPES = Set.of("felix", "gogo");

    @Test
    void noCommandOfOursTakesAFrameworkCommandsName(@TempDir Path dir) throws Exception {
        Path script = Files.writeString(dir.resolve("help.gosh"), "help\n");
        Distribution.Run run = new Distribution(dir).script(script);
        assertThat(run.exitCode()).isZero();

        Map<String, Set<String>> scopesByFunction = new HashMap<>();
        run.out().lines().filter(l -> l.matches("[\\w.-]+:[\\w.-]+")).forEach(l -> {
            String[] scoped = l.split(":");
            scopesByFunction.computeIfAbsent(scoped[1], f -> new TreeSet<>()).add(scoped[0]);
        });
        assertThat(scopesByFunction).as("help lists the framework's and our commands")
                .containsKeys("stop", "start", "lb", "help", "create", "serve");

        Set<String> taken = new TreeSet<>();
        scopesByFunction.forEach((function, scopes) -> {
            boolean framework = scopes.stream().anyMatch(FRAMEWORK_SCOPES::contains);
            boolean ours = scopes.stream().anyMatch(s -> !FRAMEWORK_SCOPES.contains(s));
            if (framework && ours) {
                taken.add(function + " " + scopes);
            }
        });
        assertThat(taken).as("functions of ours named as the framework's").isEmpty();
        assertThat(List.of("felix")).as("stop is the framework's").isEqualTo(List.copyOf(scopesByFunction.get("stop")));
    }

    @org.junit.jupiter.api.Test
    void anUnusableSysfsMountPointEndsTheRunInOneLine(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path script = dir.resolve("types.gosh");
        java.nio.file.Files.writeString(script, "mdev:types mtty\n");
        Distribution.Run run = new Distribution(dir).property("mdev.sysfs.mountpoint", "/proc/mdev-osgi/sysfs")
                .script(script);
        org.assertj.core.api.Assertions.assertThat(run.exitCode()).as("stderr: %s", run.err()).isIn(2, 13, 20);
        org.assertj.core.api.Assertions.assertThat(run.err().strip().lines()).as("one line, no stack trace")
                .hasSize(1).allMatch(l -> l.startsWith("E") && l.contains("/proc/mdev-osgi/sysfs"));
        org.assertj.core.api.Assertions.assertThat(run.out()).doesNotContain("mtty-1");
    }

    @org.junit.jupiter.api.Test
    void badValuesAreNamedWithTheirRange(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path script = dir.resolve("bad.gosh");
        String uuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa8001";
        java.nio.file.Files.writeString(script, String.join("\n",
                "mdev:create mtty mtty-1 " + uuid,
                "vfio:open " + uuid,
                "mdev:fails EINVAL { vfio:write " + uuid + " bar0 1 -1 }",
                "mdev:fails EINVAL { vfio:read " + uuid + " bar9 0 }",
                "mdev:fails EINVAL { vfio:read " + uuid + " bar0 -4 }",
                "mdev:fails EINVAL { ccw:vary 0.0.0100 9 on }",
                ""));
        Distribution.Run run = new Distribution(dir).script(script);
        org.assertj.core.api.Assertions.assertThat(run.exitCode()).as("stderr: %s", run.err()).isZero();
        org.assertj.core.api.Assertions.assertThat(run.out()).contains(
                "EINVAL: byte -1 out of range 0..255",
                "EINVAL: region 'bar9' is none of bar0..bar5, rom, config, vga or an index",
                "EINVAL: offset -4 is negative",
                "EINVAL: path 9 is out of range 0..7");
    }

    @org.junit.jupiter.api.Test
    void commandsReturnValuesAScriptCanUse(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path script = dir.resolve("values.gosh");
        String uuid = "83b8f4f2-509f-382f-3c1e-e6bfe0fa8002";
        java.nio.file.Files.writeString(script, String.join("\n",
                "created = mdev:create mtty mtty-2 " + uuid,
                "devices = (mdev:list)",
                "$devices size",
                "first = $devices get 0",
                "$first parent",
                "$first openCount",
                "$first bound",
                "((mdev:types mtty) types) size",
                "(((mdev:types mtty) types) get 1) availableInstances",
                ""));
        Distribution.Run run = new Distribution(dir).script(script);
        org.assertj.core.api.Assertions.assertThat(run.exitCode()).as("stderr: %s", run.err()).isZero();
        org.assertj.core.api.Assertions.assertThat(run.out()).isEqualTo(String.join("\n",
                uuid,                                                   // the UUID mdev:create returned
                uuid + " mtty mtty-2 (vfio, bound, open 0)",            // the list, a line per row
                "1", uuid + " mtty mtty-2 (vfio, bound, open 0)", "mtty", "0", "true",
                "2", "11", ""));
    }
}
