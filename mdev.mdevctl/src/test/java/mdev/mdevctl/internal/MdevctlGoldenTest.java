package mdev.mdevctl.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mdev.core.ErrnoException;
import mdev.testkit.FakeBus;

/**
 * mdevctl's behaviour kept as golden files in mdevctl's own testdata layout
 * ({@code src/test/resources/testdata/VERB/CASE.EXT}): {@code .text} and {@code .json} what
 * {@code list} prints without and with {@code --dumpjson}, {@code .expected} the definition file a
 * verb leaves, {@code .calls} what the callout and notifier scripts heard (their log), and
 * {@code .error} a failure's errno and message. The callout scripts the cases install are in
 * {@code testdata/callouts}. {@code -Dmdevctl.golden.update=true} writes the files afresh from
 * what the verbs do now; read the diff before committing it.
 */
class MdevctlGoldenTest {
    static final Path TESTDATA = Path.of("src/test/resources/testdata");
    static final boolean UPDATE = Boolean.getBoolean("mdevctl.golden.update");
    static final String A = "0b5e2a10-7c41-4d0e-9a6b-00000000000a";
    static final String B = "0b5e2a10-7c41-4d0e-9a6b-00000000000b";
    static final String C = "0b5e2a10-7c41-4d0e-9a6b-00000000000c";
    static final String GPU = "0000:00:02.0";
    static final String GVT = "i915-GVTg_V5_4";
    static final String AP = "vfio_ap-passthrough";

    @TempDir
    Path root;

    final FakeBus bus = new FakeBus();
    MdevctlEngine engine;

    @BeforeEach
    void setUp() {
        bus.parent(GPU, FakeBus.type(GVT, "GVTg_V5_4", "low_gm_size: 128MB\nhigh_gm_size: 512MB", 2));
        bus.parent("matrix", FakeBus.type(AP, "VFIO AP Passthrough Device", "", 256));
        DefinitionStore store = new DefinitionStore(root, w -> { });
        engine = new MdevctlEngine(bus, store, w -> { });
    }

    String mdevctl(String... args) {
        engine.newVerb();
        String out = MdevctlCommandLine.parse(List.of(args)).run(engine);
        return out == null ? "" : out;
    }

    String failure(String... args) {
        try {
            mdevctl(args);
        } catch (ErrnoException e) {
            return e.errno() + ": " + e.getMessage().replace(root.toString(), "ROOT") + "\n";
        } catch (MdevctlCommandLine.UsageError e) {
            return "usage: " + e.getMessage() + "\n";
        }
        throw new AssertionError("mdevctl " + String.join(" ", args) + " succeeded");
    }

    void golden(String relative, String actual) throws IOException {
        Path file = TESTDATA.resolve(relative);
        if (UPDATE) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, actual, StandardCharsets.UTF_8);
            return;
        }
        assertThat(file).as("golden file %s (make it with -Dmdevctl.golden.update=true)", file).exists();
        assertThat(actual).as("%s", relative).isEqualTo(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Installs a script of testdata/callouts into DIR (under etc/mdevctl.d/scripts.d or usr/lib/...). */
    Path install(String dir, String script) throws IOException {
        Path target = root.resolve(dir).resolve(script);
        Files.createDirectories(target.getParent());
        Files.copy(TESTDATA.resolve("callouts").resolve(script), target);
        assertThat(target.toFile().setExecutable(true)).isTrue();
        return target.getParent().resolve("LOG");
    }

    static final String CALLOUTS = "etc/mdevctl.d/scripts.d/callouts";
    static final String LIB_CALLOUTS = "usr/lib/mdevctl/scripts.d/callouts";
    static final String NOTIFIERS = "usr/lib/mdevctl/scripts.d/notifiers";

    String definition(String parent, String uuid) throws IOException {
        return Files.readString(root.resolve("etc/mdevctl.d").resolve(parent).resolve(uuid));
    }

    String log(Path log) throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** A running GPU device defined auto with an attribute, a running AP device not defined, and a defined stopped one. */
    void threeDevices() {
        mdevctl("define", "-u", A, "-p", "matrix", "-t", AP, "--auto");
        mdevctl("modify", "-u", A, "--addattr", "assign_adapter", "--value", "5");
        mdevctl("start", "-u", A);
        mdevctl("start", "-u", B, "-p", GPU, "-t", GVT);
        mdevctl("define", "-u", C, "-p", GPU, "-t", GVT);
    }

    @Test
    void list() throws IOException {
        golden("list/active-none.text", mdevctl("list"));
        golden("list/active-none.json", mdevctl("list", "--dumpjson"));
        threeDevices();
        golden("list/active.text", mdevctl("list"));
        golden("list/active.json", mdevctl("list", "--dumpjson"));
        golden("list/active-verbose.text", mdevctl("list", "-v"));
        golden("list/active-uuid.json", mdevctl("list", "--dumpjson", "-u", A));
        golden("list/active-parent.text", mdevctl("list", "-p", GPU));
        golden("list/defined.text", mdevctl("list", "-d"));
        golden("list/defined.json", mdevctl("list", "-d", "--dumpjson"));
        golden("list/defined-verbose.text", mdevctl("list", "-d", "-v"));
        assertThat(mdevctl("lsmdev", "-d", "-v")).as("lsmdev is list").isEqualTo(mdevctl("list", "-d", "-v"));
        assertThat(mdevctl("lsmdev")).isEqualTo(mdevctl("list"));
    }

    @Test
    void listShowsTheAttributesACalloutReadsFromARunningDevice() throws IOException {
        threeDevices();
        Path log = install(LIB_CALLOUTS, "versioned.sh");
        Files.writeString(log.resolveSibling("ATTRS"), "[{\"assign_adapter\":\"5\"},{\"assign_domain\":\"0x2f\"}]\n");
        golden("list/active-callout.text", mdevctl("list"));
        golden("list/active-callout.json", mdevctl("list", "--dumpjson"));
        golden("list/active-callout-verbose.text", mdevctl("list", "-v"));
        golden("list/active-callout.calls", log(log));
    }

    @Test
    void aMalformedAnswerLeavesTheDefinitionsAttributes() throws IOException {
        threeDevices();
        install(CALLOUTS, "bad-json.sh");
        golden("list/active-callout-bad-json.text", mdevctl("list", "-v"));
        golden("list/active-callout-bad-json.json", mdevctl("list", "--dumpjson"));
    }

    @Test
    void define() throws IOException {
        mdevctl("define", "-u", A, "-p", GPU, "-t", GVT);
        golden("define/uuid-manual.expected", definition(GPU, A));
        mdevctl("define", "-u", B, "-p", GPU, "-t", GVT, "-a");
        golden("define/uuid-auto.expected", definition(GPU, B));
        Path json = root.resolve("in.json");
        Files.writeString(json, "{\"mdev_type\":\"" + AP + "\",\"start\":\"auto\",\"attrs\":[{\"assign_adapter\":\"5\"}]}");
        mdevctl("define", "-u", C, "-p", "matrix", "--jsonfile", json.toString());
        golden("define/jsonfile.expected", definition("matrix", C));
        golden("define/exists.error", failure("define", "-u", C, "-p", "matrix", "-t", AP));
    }

    @Test
    void defineARunningDeviceTakesItsAttributesFromTheCallout() throws IOException {
        mdevctl("start", "-u", A, "-p", "matrix", "-t", AP);
        Path log = install(CALLOUTS, "versioned.sh");
        Files.writeString(log.resolveSibling("ATTRS"), "[{\"assign_adapter\":\"7\"}]\n");
        mdevctl("define", "-u", A);
        golden("define/active-callout.expected", definition("matrix", A));
        golden("define/active-callout.calls", log(log));
    }

    @Test
    void modify() throws IOException {
        mdevctl("define", "-u", A, "-p", "matrix", "-t", AP);
        mdevctl("modify", "-u", A, "--addattr", "assign_adapter", "--value", "5");
        mdevctl("modify", "-u", A, "--addattr", "assign_domain", "--value", "0x2f", "-i", "0");
        mdevctl("modify", "-u", A, "--auto");
        golden("modify/addattr-index-auto.expected", definition("matrix", A));
        mdevctl("modify", "-u", A, "--delattr", "-i", "1");
        golden("modify/delattr-index.expected", definition("matrix", A));
        Path json = root.resolve("in.json");
        Files.writeString(json, "{\"mdev_type\":\"" + AP + "\",\"start\":\"manual\",\"attrs\":[{\"assign_control_domain\":\"1\"}]}");
        mdevctl("modify", "-u", A, "-p", "matrix", "--jsonfile", json.toString());
        golden("modify/jsonfile.expected", definition("matrix", A));
        golden("modify/attribute-index.error", failure("modify", "-u", A, "--delattr", "-i", "3"));
        golden("modify/not-defined.error", failure("modify", "-u", B, "--auto"));
    }

    @Test
    void modifyLiveChangesTheRunningDeviceThroughItsScript() throws IOException {
        mdevctl("define", "-u", A, "-p", "matrix", "-t", AP);
        mdevctl("start", "-u", A);
        Path json = root.resolve("live.json");
        Files.writeString(json, "{\"mdev_type\":\"" + AP + "\",\"start\":\"manual\",\"attrs\":[{\"assign_adapter\":\"9\"}]}");
        golden("modify/live-no-script.error", failure("modify", "-u", A, "--live", "--jsonfile", json.toString()));
        golden("modify/live-type.error", failure("modify", "-u", A, "--live", "--jsonfile", json.toString(), "-t", GVT));
        golden("modify/live-without-jsonfile.error", failure("modify", "-u", A, "--live"));
        golden("modify/live-not-active.error", failure("modify", "-u", B, "--live", "--jsonfile", json.toString()));

        Path log = install(CALLOUTS, "versioned.sh");
        Path notified = install(NOTIFIERS, "notifier.sh");
        mdevctl("modify", "-u", A, "--live", "--jsonfile", json.toString());
        golden("modify/live.calls", log(log));
        golden("modify/live.notified", log(notified));
        golden("modify/live-list.text", mdevctl("list", "-v"));
        golden("modify/live-unchanged.expected", definition("matrix", A));

        Files.writeString(json, "{\"mdev_type\":\"" + AP + "\",\"start\":\"auto\",\"attrs\":[{\"assign_adapter\":\"3\"}]}");
        mdevctl("modify", "-u", A, "--live", "--defined", "--jsonfile", json.toString());
        golden("modify/live-defined.expected", definition("matrix", A));
        golden("modify/live-defined-list.text", mdevctl("list", "-v"));
    }

    @Test
    void calloutsAroundEachAction() throws IOException {
        Path log = install(LIB_CALLOUTS, "versioned.sh");
        install(LIB_CALLOUTS, "other-type.sh");
        Path notified = install(NOTIFIERS, "notifier.sh");
        mdevctl("define", "-u", A, "-p", "matrix", "-t", AP);
        mdevctl("start", "-u", A);
        mdevctl("stop", "-u", A);
        mdevctl("modify", "-u", A, "--auto");
        mdevctl("undefine", "-u", A);
        golden("callouts/versioned.calls", log(log));
        golden("callouts/versioned.notified", log(notified));
    }

    @Test
    void aRefusingCalloutStopsTheActionUnlessForced() throws IOException {
        Path log = install(CALLOUTS, "refuse-start.sh");
        Path notified = install(NOTIFIERS, "notifier.sh");
        golden("callouts/refused.error", failure("start", "-u", A, "-p", GPU, "-t", GVT));
        assertThat(bus.devices()).isEmpty();
        mdevctl("start", "-u", A, "-p", GPU, "-t", GVT, "--force");
        assertThat(bus.devices()).hasSize(1);
        mdevctl("stop", "-u", A);
        golden("callouts/refused.calls", log(log));
        golden("callouts/refused.notified", log(notified));
    }
}
