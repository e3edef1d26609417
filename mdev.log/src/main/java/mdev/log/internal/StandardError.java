package mdev.log.internal;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The process's own standard error: gogo replaces System.err with per-session streams. */
public final class StandardError {
    private static final PrintStream STREAM = new PrintStream(new FileOutputStream(FileDescriptor.err), true,
            StandardCharsets.UTF_8);

    private StandardError() {
    }

    public static void print(String line) {
        STREAM.println(line);
    }
}
