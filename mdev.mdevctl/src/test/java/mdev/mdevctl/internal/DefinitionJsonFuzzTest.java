package mdev.mdevctl.internal;

import java.util.UUID;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;

import mdev.core.ErrnoException;

/**
 * Jazzer on mdevctl's JSON: any text as a definition file (or a --jsonfile) either gives a
 * definition or fails with an ErrnoException; and a definition that was read writes back as
 * JSON that reads as the same definition.
 */
class DefinitionJsonFuzzTest {
    private static final UUID UUID_OF_FILE = UUID.fromString("83b8f4f2-509f-382f-3c1e-e6bfe0fa1001");

    /** The entry point of tools/fuzz (Jazzer's own driver, run for millions of inputs). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        new DefinitionJsonFuzzTest().definitions(data);
    }

    @FuzzTest(maxDuration = "10s")
    void definitions(FuzzedDataProvider data) {
        MdevDefinition read;
        try {
            JsonNode root = SerdeJson.parse(data.consumeRemainingAsString(), "fuzz.json");
            read = SerdeJson.toDefinition(UUID_OF_FILE, "mtty", root);
        } catch (ErrnoException refused) {
            return;   // the only way to fail
        }
        String written = SerdeJson.pretty(SerdeJson.definition(read.type(), read.auto(), read.attrs()));
        MdevDefinition again = SerdeJson.toDefinition(UUID_OF_FILE, "mtty", SerdeJson.parse(written, "written.json"));
        if (!again.equals(read)) {
            throw new AssertionError("wrote " + written + " for " + read + " and read back " + again);
        }
    }
}
