package mdev.mdevctl;

import java.io.PrintStream;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * mdevctl for mdev-osgi: the verbs and options of mdevctl ({@code list}, {@code types},
 * {@code start}, {@code stop}, {@code define}, {@code undefine}, {@code modify}; 1.2's, with
 * 1.3's {@code --force}, {@code modify --live/--defined} and callout scripts) over this
 * framework's mdev bus, with definitions kept in mdevctl's on-disk layout under
 * {@link #root()}. A command line whose first word is {@code lsmdev} is the lsmdev form
 * (list's options).
 */
@ProviderType
public interface Mdevctl {
    /**
     * Runs one command line as the {@code mdevctl} program does: its output on {@code out},
     * a failure as {@code Error: <message>} on {@code err}. Returns the exit status: 0, 1 for
     * a failed command, 2 for a command line that does not parse.
     */
    int run(List<String> args, PrintStream out, PrintStream err);

    /**
     * Runs one command line and returns what mdevctl prints on standard output (without its
     * final newline), or {@code null} when it prints nothing. A failed command throws
     * {@link mdev.core.ErrnoException} with mdevctl's message; a command line that does not
     * parse throws {@link IllegalArgumentException} with the usage error.
     */
    String execute(List<String> args);

    /** The system root whose {@code etc/mdevctl.d} holds the definitions. */
    java.nio.file.Path root();
}
