package mdev.mdevctl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** Where definitions live: configuration, then framework property, then the user's data directory. */
class MdevctlRootTest {
    @Test
    void configurationWinsThenTheFrameworkPropertyThenTheUsersDataDirectory() {
        assertThat(MdevctlComponent.root("/srv/mdev", "/tmp/prop")).isEqualTo(Path.of("/srv/mdev"));
        assertThat(MdevctlComponent.root("", "/tmp/prop")).isEqualTo(Path.of("/tmp/prop"));
        assertThat(MdevctlComponent.root("  ", null)).isAbsolute().endsWithRaw(Path.of("mdev-osgi"));
        String xdg = System.getenv("XDG_DATA_HOME");
        Path expected = (xdg == null || xdg.isBlank()
                ? Path.of(System.getProperty("user.home"), ".local", "share") : Path.of(xdg)).resolve("mdev-osgi");
        assertThat(MdevctlComponent.root(null, "")).isEqualTo(expected.toAbsolutePath());
        assertThat(MdevctlComponent.root("relative/root", null)).as("made absolute")
                .isEqualTo(Path.of("relative/root").toAbsolutePath());
    }
}
