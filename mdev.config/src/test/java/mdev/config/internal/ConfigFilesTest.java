package mdev.config.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/** Configurator JSON into Configuration Admin's property types, and what is refused. */
class ConfigFilesTest {
    @TempDir
    Path dir;

    Map<String, Hashtable<String, Object>> read(String json) throws Exception {
        Path f = dir.resolve("c.json");
        Files.writeString(f, json);
        return ConfigFiles.read(f);
    }

    @Test
    void valuesGetConfigurationAdminsTypes() throws Exception {
        var c = read("""
                { ":configurator:resource-version": 1,
                  "vendor.ap.bus": { "apxa": true, "na": 255, "big": 5000000000, "ratio": 0.5,
                                     "adapters": [3, 4, 5], "names": ["a", "b"], "path": "${dir}/x.sock" },
                  "vfio.user.socket~card": { "uuid": "u" } }
                """);
        assertThat(c).containsOnlyKeys("vendor.ap.bus", "vfio.user.socket~card");
        Hashtable<String, Object> ap = c.get("vendor.ap.bus");
        assertThat(ap.get("apxa")).isEqualTo(true);
        assertThat(ap.get("na")).isEqualTo(255);
        assertThat(ap.get("big")).isEqualTo(5_000_000_000L);
        assertThat(ap.get("ratio")).isEqualTo(0.5);
        assertThat((Integer[]) ap.get("adapters")).containsExactly(3, 4, 5);
        assertThat((String[]) ap.get("names")).containsExactly("a", "b");
        assertThat(ap.get("path")).isEqualTo(dir.toAbsolutePath() + "/x.sock");
    }

    @Test
    void malformedFilesAreRefusedNamingWhere() {
        for (String bad : new String[] { "[1]", "{ \"p\": 3 }", "{ \"~x\": {} }", "{ \"p\": { \"v\": {\"nested\": 1} } }",
            "{ \"p\": { \"v\": [1, \"two\"] } }", "{ \"p\": " }) {
            assertThatThrownBy(() -> read(bad)).as(bad).isInstanceOfSatisfying(ErrnoException.class,
                    e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL)).hasMessageContaining("c.json");
        }
    }
}
