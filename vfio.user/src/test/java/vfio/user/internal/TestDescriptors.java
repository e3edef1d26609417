package vfio.user.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Descriptors of the kinds a hostile client passes, and what a test checks of the mappings. */
final class TestDescriptors {
    private TestDescriptors() {
    }

    static void mkfifo(Path path) throws Exception {
        assertThat(new ProcessBuilder("mkfifo", path.toString()).start().waitFor()).as("mkfifo %s", path).isZero();
    }

    /** The read end of a new FIFO at {@code path} whose only writer has gone: opening it again to read blocks. */
    static FileInputStream fifoWithoutWriter(Path path) throws Exception {
        mkfifo(path);
        CompletableFuture<FileInputStream> reader = CompletableFuture.supplyAsync(() -> {
            try {
                return new FileInputStream(path.toFile());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        new FileOutputStream(path.toFile()).close();
        return reader.get(10, TimeUnit.SECONDS);
    }

    /** How many mappings of {@code file} this process has (/proc/self/maps). */
    static long mappingsOf(Path file) throws IOException {
        String name = file.toRealPath().toString();
        try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
            return lines.filter(l -> l.endsWith(name)).count();
        }
    }
}
