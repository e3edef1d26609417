package mdev.mdevctl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** mdevctl's on-disk layout and JSON, atomic writes, and files that cannot be read. */
class DefinitionStoreTest {
    static final UUID U1 = UUID.fromString("7a0d6f2c-4f47-4b3b-9f2a-1b9c0d3e5a01");
    static final UUID U2 = UUID.fromString("7a0d6f2c-4f47-4b3b-9f2a-1b9c0d3e5a02");

    @TempDir
    Path root;

    final List<String> reports = new ArrayList<>();

    DefinitionStore store() {
        return new DefinitionStore(root, reports::add);
    }

    @Test
    void definitionsAreWrittenAsMdevctlWritesThem() throws Exception {
        MdevDefinition ap = new MdevDefinition(U1, "matrix", "vfio_ap-passthrough", true,
                List.of(new MdevDefinition.Attr("assign_adapter", "5"), new MdevDefinition.Attr("assign_domain", "0x47")));
        store().write(ap);
        Path file = root.resolve("etc/mdevctl.d/matrix/" + U1);
        assertThat(Files.readString(file)).isEqualTo("""
                {
                  "mdev_type": "vfio_ap-passthrough",
                  "start": "auto",
                  "attrs": [
                    {
                      "assign_adapter": "5"
                    },
                    {
                      "assign_domain": "0x47"
                    }
                  ]
                }""");
        store().write(new MdevDefinition(U2, "mtty", "mtty-2", false, List.of()));
        assertThat(Files.readString(root.resolve("etc/mdevctl.d/mtty/" + U2))).isEqualTo("""
                {
                  "mdev_type": "mtty-2",
                  "start": "manual",
                  "attrs": []
                }""");
        assertThat(store().list()).containsExactly(ap, new MdevDefinition(U2, "mtty", "mtty-2", false, List.of()));
        assertThat(reports).isEmpty();
    }

    @Test
    void whatMdevctlWroteIsRead() throws Exception {
        Path dir = Files.createDirectories(root.resolve("etc/mdevctl.d/0000:00:02.0"));
        Files.writeString(dir.resolve(U1.toString()),
                "{\"mdev_type\":\"i915-GVTg_V5_4\",\"start\":\"manual\"}\n", StandardCharsets.UTF_8);
        assertThat(store().list(U1, null).stream().findFirst()).contains(new MdevDefinition(U1, "0000:00:02.0", "i915-GVTg_V5_4", false, List.of()));
    }

    @Test
    void unreadableFilesAndLeftoversAreReportedOrSkippedNeverFatal() throws Exception {
        Path dir = Files.createDirectories(root.resolve("etc/mdevctl.d/mtty"));
        Files.writeString(dir.resolve(U1.toString()), "{\"mdev_type\": \"mtty-1\", ");
        Files.writeString(dir.resolve(U2.toString()), "{\"mdev_type\": \"mtty-1\", \"start\": \"auto\", \"attrs\": {}}");
        Files.writeString(dir.resolve("not-a-uuid"), "{}");
        Files.writeString(dir.resolve(".mdevctl-tmp-" + U1), "{\"mdev_ty");      // a write cut short
        UUID good = UUID.randomUUID();
        store().write(new MdevDefinition(good, "mtty", "mtty-1", true, List.of()));
        assertThat(store().list()).extracting(MdevDefinition::uuid).containsExactly(good);
        assertThat(reports).hasSize(3).allSatisfy(r -> assertThat(r).startsWith("skipping "));
        assertThat(reports.get(1)).endsWith("attributes field is not an array");
    }

    @Test
    void aStartOtherThanAutoIsManualAsMdevctlReadsIt() throws Exception {
        Path dir = Files.createDirectories(root.resolve("etc/mdevctl.d/mtty"));
        Files.writeString(dir.resolve(U1.toString()), "{\"mdev_type\": \"mtty-1\", \"start\": \"sometimes\"}");
        assertThat(store().list()).containsExactly(new MdevDefinition(U1, "mtty", "mtty-1", false, List.of()));
    }

    @Test
    void aRewriteReplacesTheFileWholeAndDeleteRemovesIt() throws Exception {
        DefinitionStore store = store();
        store.write(new MdevDefinition(U1, "mtty", "mtty-1", false, List.of()));
        store.write(new MdevDefinition(U1, "mtty", "mtty-2", true, List.of()));
        assertThat(store.list(U1, null).stream().findFirst()).map(MdevDefinition::type).contains("mtty-2");
        try (var files = Files.list(root.resolve("etc/mdevctl.d/mtty"))) {
            assertThat(files).as("no temporary file stays").hasSize(1);
        }
        store.delete(store.list(U1, null).stream().findFirst().orElseThrow());
        assertThat(store.list()).isEmpty();
    }

    @Test
    void anUnreadableFileIsReportedOnceAndUndefinedAllTheSame() throws Exception {
        DefinitionStore store = store();
        Path broken = root.resolve("etc/mdevctl.d/mtty/" + U1);
        Files.createDirectories(broken.getParent());
        Files.writeString(broken, "{ not json", StandardCharsets.UTF_8);
        for (int i = 0; i < 7; i++) {
            assertThat(store.list()).isEmpty();
        }
        assertThat(reports).as("one line, not one per listing").hasSize(1);
        assertThat(reports.get(0)).startsWith("skipping " + broken);
        Files.writeString(broken, "{ still not json", StandardCharsets.UTF_8);
        Files.setLastModifiedTime(broken, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        store.list();
        assertThat(reports).as("a changed file is news").hasSize(2);
        assertThat(store.deleteFiles(U1, null)).isEqualTo(1);
        assertThat(Files.exists(broken)).isFalse();
        assertThat(store.deleteFiles(U1, "mtty")).isZero();
    }
}
