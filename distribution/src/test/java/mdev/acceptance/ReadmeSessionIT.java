package mdev.acceptance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first session, taken from README.md itself and typed at the shell's prompt as a
 * user pastes it, does what the README says it does.
 */
class ReadmeSessionIT {
    private static final String PROMPT = "g! ";
    private static final String SESSION_INTRO = "Paste these at the `g! ` prompt";
    private static final Pattern ERROR = Pattern.compile("(?m)^(E[A-Z0-9]+|ERROR): ");

    @Test
    void theFirstSessionBehavesAsTheReadmeSays(@TempDir Path dir) throws Exception {
        List<String> commands = session(Files.readAllLines(Distribution.README));
        assertThat(commands).as("the README's session block").contains("lb samples.mtty", "exit").hasSizeGreaterThan(10);

        Distribution.Run run = new Distribution(dir).shell(String.join("\n", commands) + "\n");
        List<String> outputs = outputs(run.out());

        assertThat(run.exitCode()).as("exit code; the session printed:%n%s", run.out()).isZero();
        assertThat(outputs).as("one prompt per command; the session printed:%n%s", run.out()).hasSize(commands.size());
        int firstRemove = indexOf(commands, "mdev:remove ", 0);
        int secondRemove = indexOf(commands, "mdev:remove ", firstRemove + 1);
        for (int i = 0; i < commands.size(); i++) {
            if (i != firstRemove) {
                assertThat(outputs.get(i)).as("output of '%s'", commands.get(i)).doesNotContainPattern(ERROR);
            }
        }
        assertThat(outputs.get(firstRemove)).as("remove while open").startsWith("EBUSY: ");
        assertThat(outputs.get(secondRemove)).as("remove after close").doesNotContainPattern(ERROR);
        assertThat(outputs.get(indexOf(commands, "vfio:gets ", 0))).as("read back from RBR").isEqualTo("hello\n");
        assertThat(outputs.get(indexOf(commands, "vfio:events ", 0))).as("INTx fired once").contains("irq 0: 1");

        int stop = indexOf(commands, "stop ", 0);
        int start = indexOf(commands, "start ", stop);
        int typesStopped = indexOf(commands, "mdev:types", stop);
        int typesStarted = indexOf(commands, "mdev:types", start);
        assertThat(commands.get(stop)).as("a symbolic name, not a bundle id").isEqualTo("stop samples.mtty");
        // Felix's start takes an id: the one lb showed for samples.mtty in this very session.
        Matcher listed = Pattern.compile("(?m)^\\s*(\\d+)\\|.*samples\\.mtty")
                .matcher(outputs.get(indexOf(commands, "lb samples.mtty", 0)));
        assertThat(listed.find()).as("lb samples.mtty lists it").isTrue();
        assertThat(commands.get(start)).as("start the id lb showed").isEqualTo("start " + listed.group(1));
        assertThat(outputs.get(stop) + outputs.get(start)).as("Felix returns its failures as text").isBlank();
        assertThat(typesStopped).isLessThan(start);
        assertThat(outputs.get(typesStopped)).as("types with samples.mtty stopped").doesNotContain("mtty-1", "mtty-2");
        assertThat(outputs.get(typesStarted)).as("types with samples.mtty started again").contains("mtty-1", "mtty-2");
        assertThat(outputs.get(0)).as("the first mdev:types").contains("mtty-1", "mtty-2");
    }

    /** The indented block after the README's "Paste these at the g! prompt". */
    static List<String> session(List<String> readme) {
        int line = 0;
        while (line < readme.size() && !readme.get(line).contains(SESSION_INTRO)) {
            line++;
        }
        assertThat(line).as("README.md has a line with '%s'", SESSION_INTRO).isLessThan(readme.size());
        line++;
        while (line < readme.size() && readme.get(line).isBlank()) {
            line++;
        }
        List<String> commands = new ArrayList<>();
        for (; line < readme.size() && readme.get(line).startsWith("    "); line++) {
            commands.add(readme.get(line).strip());
        }
        return commands;
    }

    /** What each command printed: the text between one prompt and the next (after the banner). */
    private static List<String> outputs(String transcript) {
        List<String> outputs = new ArrayList<>(List.of(transcript.split(Pattern.quote(PROMPT), -1)));
        outputs.remove(0);
        return outputs;
    }

    private static int indexOf(List<String> commands, String prefix, int from) {
        for (int i = from; i < commands.size(); i++) {
            if (commands.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("the README's session has no '" + prefix + "' after line " + from + ": " + commands);
    }
}
