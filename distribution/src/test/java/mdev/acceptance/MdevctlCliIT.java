package mdev.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java -jar mdev-osgi.jar mdevctl ...}, one process per command sharing one root:
 * definitions persist, auto ones come back with their attributes in each run, exit codes and
 * messages are mdevctl's.
 */
class MdevctlCliIT {
    private static final String AP = "4f6e6b1a-59c6-4a8e-9d62-6f4a3c1b0001";
    private static final String MTTY = "4f6e6b1a-59c6-4a8e-9d62-6f4a3c1b0002";

    private Distribution jar;
    private final StringBuilder out = new StringBuilder();
    private final StringBuilder err = new StringBuilder();

    @Test
    void definitionsLiveAcrossProcesses(@TempDir Path dir) throws Exception {
        jar = new Distribution(dir).mdevctlRoot(dir.resolve("root"));

        mdevctl(0, "types -p matrix");
        mdevctl(0, "define -u " + AP + " -p matrix -t vfio_ap-passthrough --auto");
        mdevctl(0, "modify -u " + AP + " --addattr assign_adapter --value 4");
        mdevctl(0, "modify -u " + AP + " --addattr assign_domain --value 71");
        mdevctl(0, "define -u " + MTTY + " -p mtty -t mtty-2");
        mdevctl(0, "list");
        mdevctl(0, "list -d -v");
        mdevctl(0, "list -d -u " + AP + " --dumpjson");
        mdevctl(1, "define -u " + MTTY + " -p mtty -t mtty-2");
        mdevctl(1, "start -p nothing -t mtty-1");
        mdevctl(2, "list --bogus");
        mdevctl(0, "undefine -u " + MTTY);
        mdevctl(0, "list -d");

        assertThat(out.toString()).isEqualTo(Files.readString(Distribution.SCRIPTS.resolve("mdevctl-cli.expected")));
        assertThat(err.toString()).as("mdevctl's own messages").contains(
                "Error: Device " + MTTY + " on mtty already defined",
                "Error: Unable to find parent device 'nothing'",
                "error: Unknown option: '--bogus'");

        // lsmdev is list's other name; --version says which mdevctl this follows
        Distribution.Run list = jar.run("mdevctl", "list", "-d", "-v");
        Distribution.Run lsmdev = jar.run("lsmdev", "-d", "-v");
        assertThat(lsmdev.exitCode()).as(lsmdev.err()).isZero();
        assertThat(lsmdev.out()).isEqualTo(list.out()).contains(AP + " matrix vfio_ap-passthrough auto");
        assertThat(jar.run("mdevctl", "--version").out()).startsWith("mdevctl 1.3.0");
    }

    private void mdevctl(int exitCode, String line) throws Exception {
        String[] args = ("mdevctl " + line).split(" ");
        Distribution.Run run = jar.run(args);
        out.append(run.out());
        err.append(run.err());
        assertThat(run.exitCode()).as("mdevctl %s; it printed to stderr:%n%s", line, run.err()).isEqualTo(exitCode);
    }
}
