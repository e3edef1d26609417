package mdev.web.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebAccessTest {
    @Test
    void aTokenIsMadePrivateOnceAndKept(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("state/mdev-osgi/web-token");
        WebAccess first = new WebAccess(file, Set.of());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String token = Files.readString(file).strip();
        assertThat(token).hasSize(48).matches("[0-9a-f]+");
        assertThat(first.authorized("Bearer " + token)).isTrue();
        assertThat(first.authorized("Bearer " + token.substring(1))).isFalse();
        assertThat(first.authorized(token)).isFalse();
        assertThat(first.authorized(null)).isFalse();
        assertThat(new WebAccess(file, Set.of()).authorized("Bearer " + token)).as("kept across runs").isTrue();
    }

    @Test
    void onlyLocalAndConfiguredHostsAreServed(@TempDir Path dir) throws Exception {
        WebAccess access = new WebAccess(dir.resolve("t"), Set.of("host.example"));
        assertThat(access.hostAllowed("127.0.0.1:8080")).isTrue();
        assertThat(access.hostAllowed("localhost")).isTrue();
        assertThat(access.hostAllowed("[::1]:8080")).isTrue();
        assertThat(access.hostAllowed("HOST.example:80")).isTrue();
        assertThat(access.hostAllowed("evil.example:8080")).as("a rebinding name").isFalse();
        assertThat(access.hostAllowed(null)).isFalse();
    }
}
