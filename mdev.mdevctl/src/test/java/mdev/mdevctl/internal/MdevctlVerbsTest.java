package mdev.mdevctl.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import mdev.core.Errno;
import mdev.core.ErrnoException;
import mdev.testkit.FakeBus;

/** Every verb and option of the command line, with mdevctl 1.2's output and messages. */
class MdevctlVerbsTest {
    static final String A = "4a0a190f-dcf3-4def-9342-c48768f0c940";
    static final String B = "9f579710-6ffc-4201-987a-4ffa0fb1f3a5";
    static final String C = "0b1c2d3e-0000-4000-8000-000000000003";

    @TempDir
    Path root;

    final FakeBus bus = new FakeBus();
    final List<String> warnings = new ArrayList<>();
    MdevctlEngine engine;
    DefinitionStore store;

    @BeforeEach
    void setUp() {
        bus.parent("0000:00:02.0",
                FakeBus.type("i915-GVTg_V5_4", "GVTg_V5_4", "low_gm_size: 128MB\nhigh_gm_size: 512MB", 2),
                FakeBus.type("i915-GVTg_V5_8", "GVTg_V5_8", "", 1));
        bus.parent("matrix", FakeBus.type("vfio_ap-passthrough", "VFIO AP Passthrough Device", "", 256));
        store = new DefinitionStore(root, warnings::add);
        engine = new MdevctlEngine(bus, store, warnings::add);
    }

    String mdevctl(String... args) {
        return MdevctlCommandLine.parse(List.of(args)).run(engine);
    }

    ErrnoException fails(Errno errno, String message, String... args) {
        ErrnoException e = (ErrnoException) org.assertj.core.api.Assertions.catchThrowable(() -> mdevctl(args));
        assertThat(e).as("mdevctl %s", String.join(" ", args)).isNotNull();
        assertThat(e.errno()).isEqualTo(errno);
        assertThat(e.getMessage()).isEqualTo(message);
        return e;
    }

    void usageError(String fragment, String... args) {
        assertThatThrownBy(() -> mdevctl(args)).isInstanceOf(MdevctlCommandLine.UsageError.class)
                .hasMessageContaining(fragment);
    }

    // ---- types --------------------------------------------------------------------------

    @Test
    void typesPlainAndJson() {
        assertThat(mdevctl("types")).isEqualTo("""
                0000:00:02.0
                  i915-GVTg_V5_4
                    Available instances: 2
                    Device API: vfio-pci
                    Name: GVTg_V5_4
                    Description: low_gm_size: 128MB, high_gm_size: 512MB
                  i915-GVTg_V5_8
                    Available instances: 1
                    Device API: vfio-pci
                    Name: GVTg_V5_8
                matrix
                  vfio_ap-passthrough
                    Available instances: 256
                    Device API: vfio-pci
                    Name: VFIO AP Passthrough Device
                """);
        assertThat(mdevctl("types", "-p", "matrix", "--dumpjson")).isEqualTo("""
                [
                  {
                    "matrix": [
                      {
                        "vfio_ap-passthrough": {
                          "available_instances": 256,
                          "device_api": "vfio-pci",
                          "name": "VFIO AP Passthrough Device"
                        }
                      }
                    ]
                  }
                ]""");
        assertThat(mdevctl("types", "--parent", "nothing")).isEmpty();
        assertThat(mdevctl("types", "--parent", "nothing", "--dumpjson")).isEqualTo("[]");
    }

    // ---- define, list -d ---------------------------------------------------------------

    @Test
    void defineAndListDefined() throws Exception {
        assertThat(mdevctl("define", "-u", A, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_8", "-a")).isNull();
        String generated = mdevctl("define", "--parent", "matrix", "--type", "vfio_ap-passthrough");
        assertThat(UUID.fromString(generated).toString()).isEqualTo(generated);
        assertThat(Files.readString(root.resolve("etc/mdevctl.d/0000:00:02.0/" + A))).isEqualTo("""
                {
                  "mdev_type": "i915-GVTg_V5_8",
                  "start": "auto",
                  "attrs": []
                }""");
        assertThat(mdevctl("list", "-d")).isEqualTo(
                A + " 0000:00:02.0 i915-GVTg_V5_8 auto\n" + generated + " matrix vfio_ap-passthrough manual\n");
        assertThat(mdevctl("list", "--defined", "--parent", "matrix")).isEqualTo(
                generated + " matrix vfio_ap-passthrough manual\n");
        assertThat(mdevctl("list", "-d", "-u", C)).isEmpty();
        assertThat(mdevctl("list", "-d", "-u", C, "--dumpjson")).isEqualTo("[]");
        assertThat(bus.size()).as("define starts nothing").isZero();
    }

    @Test
    void defineRefusesWhatMdevctlRefuses() {
        mdevctl("define", "-u", A, "-p", "matrix", "-t", "vfio_ap-passthrough");
        fails(Errno.EEXIST, "Device " + A + " on matrix already defined",
                "define", "-u", A, "-p", "matrix", "-t", "vfio_ap-passthrough");
        fails(Errno.EINVAL, "No parent specified", "define", "-u", B, "-t", "x");
        fails(Errno.EINVAL, "No parent specified", "define", "-u", B);
        fails(Errno.EINVAL, "No type specified", "define", "-p", "matrix");
        usageError("--uuid", "define", "-t", "x");
        usageError("cannot be used with '--type", "define", "-p", "matrix", "-t", "x", "--jsonfile", "f");
        usageError("cannot be used with '--auto'", "define", "-p", "matrix", "-a", "--jsonfile", "f");
        usageError("is not a UUID", "define", "-u", "1-2-3-4-5", "-p", "matrix", "-t", "x");
    }

    @Test
    void defineARunningDeviceTakesItsParentAndType() {
        bus.create("matrix", "vfio_ap-passthrough", UUID.fromString(B));
        mdevctl("define", "-u", B);
        assertThat(mdevctl("list", "-d")).isEqualTo(B + " matrix vfio_ap-passthrough manual (active)\n");
        assertThat(mdevctl("list")).isEqualTo(B + " matrix vfio_ap-passthrough manual (defined)\n");
    }

    @Test
    void defineFromAJsonFile() throws Exception {
        Path json = Files.writeString(root.resolve("dev.json"), """
                {"mdev_type": "vfio_ap-passthrough", "start": "auto",
                 "attrs": [{"assign_adapter": "5"}, {"assign_domain": "0x47"}]}""");
        mdevctl("define", "-u", A, "-p", "matrix", "--jsonfile", json.toString());
        assertThat(mdevctl("list", "-d", "-v")).isEqualTo(A + " matrix vfio_ap-passthrough auto\n"
                + "  Attrs:\n"
                + "    @{0}: {\"assign_adapter\":\"5\"}\n"
                + "    @{1}: {\"assign_domain\":\"0x47\"}\n");
        assertThat(mdevctl("list", "-d", "-u", A, "--dumpjson")).isEqualTo("""
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
        fails(Errno.EEXIST, "Cowardly refusing to overwrite existing config for matrix/" + A,
                "define", "-u", A, "-p", "matrix", "--jsonfile", json.toString());
        fails(Errno.EINVAL, "Parent device required to define device via \"" + json + "\"",
                "define", "-u", B, "--jsonfile", json.toString());
    }

    @Test
    void malformedJsonFilesAreRefusedWithTheReason() throws Exception {
        Path notJson = Files.writeString(root.resolve("a.json"), "{\"mdev_type\": ");
        Path noStart = Files.writeString(root.resolve("b.json"), "{\"mdev_type\": \"x\"}");
        Path attrsObject = Files.writeString(root.resolve("c.json"), "{\"mdev_type\": \"x\", \"start\": \"auto\", \"attrs\": {}}");
        Path twoFields = Files.writeString(root.resolve("d.json"),
                "{\"mdev_type\": \"x\", \"start\": \"auto\", \"attrs\": [{\"a\": \"1\", \"b\": \"2\"}]}");
        Path number = Files.writeString(root.resolve("e.json"),
                "{\"mdev_type\": \"x\", \"start\": \"auto\", \"attrs\": [{\"a\": 1}]}");
        ErrnoException e = (ErrnoException) org.assertj.core.api.Assertions.catchThrowable(
                () -> mdevctl("define", "-p", "matrix", "--jsonfile", notJson.toString()));
        assertThat(e.errno()).isEqualTo(Errno.EINVAL);
        assertThat(e.getMessage()).contains("at line 1 column").contains(notJson.toString());
        fails(Errno.EINVAL, "invalid json", "define", "-p", "matrix", "--jsonfile", noStart.toString());
        fails(Errno.EINVAL, "attributes field is not an array", "define", "-p", "matrix", "--jsonfile", attrsObject.toString());
        fails(Errno.EINVAL, "invalid JSON format for attribute: too many fields",
                "define", "-p", "matrix", "--jsonfile", twoFields.toString());
        fails(Errno.EINVAL, "invalid JSON format for attribute {\"a\", 1}: value must be of type str",
                "define", "-p", "matrix", "--jsonfile", number.toString());
        ErrnoException missing = fails(Errno.ENOENT, "Unable to read jsonfile \"" + root.resolve("none.json") + "\"",
                "define", "-p", "matrix", "--jsonfile", root.resolve("none.json").toString());
        assertThat(Reports.mdevctlForm(missing)).endsWith("\n\nCaused by:\n    No such file or directory (os error 2)");
        assertThat(store.list()).isEmpty();
    }

    // ---- start, stop, list --------------------------------------------------------------

    @Test
    void startAndStopByTypeAndByDefinition() {
        String generated = mdevctl("start", "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_4");
        assertThat(bus.get(UUID.fromString(generated))).isPresent();
        mdevctl("define", "-u", A, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_8");
        assertThat(mdevctl("start", "-u", A)).isNull();
        assertThat(mdevctl("list")).isEqualTo(
                lines(sortedPair(generated + " 0000:00:02.0 i915-GVTg_V5_4 manual",
                        A + " 0000:00:02.0 i915-GVTg_V5_8 manual (defined)")));
        assertThat(mdevctl("list", "-u", A, "--dumpjson")).isEqualTo("""
                {
                  "mdev_type": "i915-GVTg_V5_8",
                  "start": "manual",
                  "attrs": []
                }""");
        assertThat(mdevctl("list", "--dumpjson", "-p", "matrix")).isEqualTo("[]");
        mdevctl("stop", "-u", A);
        mdevctl("stop", "--uuid", generated);
        assertThat(bus.size()).isZero();
        ErrnoException e = fails(Errno.ENOENT, "Error removing device " + A, "stop", "-u", A);
        assertThat(Reports.mdevctlForm(e)).isEqualTo(
                "Error: Error removing device " + A + "\n\nCaused by:\n    No such file or directory (os error 2)");
    }

    @Test
    void listOfRunningDevicesByUuidParentVerboseAndJson() throws Exception {
        Path json = Files.writeString(root.resolve("ap.json"), """
                {"mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": [{"assign_adapter": "5"}]}""");
        mdevctl("define", "-u", A, "-p", "matrix", "--jsonfile", json.toString());
        mdevctl("start", "-u", A);
        mdevctl("start", "-u", B, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_4");
        assertThat(mdevctl("list", "-p", "matrix", "-v")).isEqualTo(A + " matrix vfio_ap-passthrough auto (defined)\n"
                + "  Attrs:\n"
                + "    @{0}: {\"assign_adapter\":\"5\"}\n");
        assertThat(mdevctl("list", "-u", B)).isEqualTo(B + " 0000:00:02.0 i915-GVTg_V5_4 manual\n");
        assertThat(mdevctl("list", "-u", B, "-p", "matrix")).as("uuid and parent must both match").isEmpty();
        assertThat(mdevctl("list", "--dumpjson")).isEqualTo("""
                [
                  {
                    "0000:00:02.0": [
                      {
                        "%s": {
                          "mdev_type": "i915-GVTg_V5_4",
                          "start": "manual",
                          "attrs": []
                        }
                      }
                    ],
                    "matrix": [
                      {
                        "%s": {
                          "mdev_type": "vfio_ap-passthrough",
                          "start": "auto",
                          "attrs": [
                            {
                              "assign_adapter": "5"
                            }
                          ]
                        }
                      }
                    ]
                  }
                ]""".formatted(B, A));
        assertThat(mdevctl("list", "-d", "-p", "matrix")).isEqualTo(A + " matrix vfio_ap-passthrough auto (active)\n");
    }

    private static String[] sortedPair(String x, String y) {
        return x.compareTo(y) < 0 ? new String[] {x, y} : new String[] {y, x};
    }

    private static String lines(String... lines) {
        return String.join("\n", lines) + "\n";
    }

    @Test
    void startRefusesWhatMdevctlRefuses() {
        fails(Errno.ENODEV, "Unable to find parent device 'nothing'", "start", "-p", "nothing", "-t", "x");
        fails(Errno.ENODEV, "Unable to find parent device 'MATRIX'. Did you mean 'matrix'?",
                "start", "-p", "MATRIX", "-t", "vfio_ap-passthrough");
        fails(Errno.EINVAL, "Parent matrix does not support mdev type x", "start", "-p", "matrix", "-t", "x");
        fails(Errno.EINVAL, "Device is insufficiently specified", "start", "-u", A);
        fails(Errno.EINVAL, "Device is insufficiently specified", "start", "-p", "matrix");
        fails(Errno.EINVAL, "can't provide type without parent", "start", "-u", A, "-t", "x");
        mdevctl("start", "-u", A, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_8");
        fails(Errno.EEXIST, "Device already exists", "start", "-u", A, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_8");
        fails(Errno.EEXIST, "Device exists with different type", "start", "-u", A, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_4");
        fails(Errno.EEXIST, "Device exists under different parent", "start", "-u", A, "-p", "matrix", "-t", "vfio_ap-passthrough");
        fails(Errno.ENOSPC, "No available instances of i915-GVTg_V5_8 on 0000:00:02.0",
                "start", "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_8");
        usageError("--uuid", "start", "-t", "x");
        usageError("required", "stop");
    }

    @Test
    void aDuplicateUuidUnderTwoParentsNeedsAParent() {
        mdevctl("define", "-u", B, "-p", "matrix", "-t", "vfio_ap-passthrough");
        mdevctl("define", "-u", B, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_4");
        fails(Errno.EINVAL, "Multiple definitions found for device " + B + ". Please specify a parent.",
                "start", "-u", B);
        fails(Errno.EINVAL, "Multiple definitions found for " + B + ", specify a parent", "modify", "-u", B, "-a");
        fails(Errno.EEXIST, "Device " + B + " already exists on parent matrix with type vfio_ap-passthrough",
                "start", "-u", B, "-p", "matrix", "-t", "other");
        mdevctl("start", "-u", B, "-p", "matrix");
        assertThat(bus.get(UUID.fromString(B)).orElseThrow().parent()).isEqualTo("matrix");
        assertThat(mdevctl("list", "-d")).isEqualTo(B + " 0000:00:02.0 i915-GVTg_V5_4 manual\n"
                + B + " matrix vfio_ap-passthrough manual (active)\n");
        mdevctl("undefine", "-u", B);
        assertThat(store.list()).isEmpty();
        fails(Errno.ENOENT, "No devices match the specified uuid", "undefine", "-u", B);
    }

    @Test
    void attributesAreWrittenInOrderAndAFailingOneUndoesTheStart() throws Exception {
        Path json = Files.writeString(root.resolve("ap.json"), """
                {"mdev_type": "vfio_ap-passthrough", "start": "manual",
                 "attrs": [{"assign_adapter": "5"}, {"assign_domain": "4"}, {"assign_adapter": "6"}]}""");
        mdevctl("start", "-u", A, "-p", "matrix", "--jsonfile", json.toString());
        assertThat(bus.get(UUID.fromString(A)).orElseThrow().attrs())
                .containsExactly(java.util.Map.entry("assign_adapter", "5,6"), java.util.Map.entry("assign_domain", "4"));
        Path bad = Files.writeString(root.resolve("bad.json"), """
                {"mdev_type": "vfio_ap-passthrough", "start": "manual",
                 "attrs": [{"assign_adapter": "5"}, {"assign_domain": "bad"}]}""");
        ErrnoException e = fails(Errno.EINVAL, "Failed to write bad to attribute assign_domain",
                "start", "-u", B, "-p", "matrix", "--jsonfile", bad.toString());
        assertThat(Reports.mdevctlForm(e)).endsWith("Caused by:\n    Invalid argument (os error 22)");
        assertThat(bus.get(UUID.fromString(B))).isEmpty();
        Path unknown = Files.writeString(root.resolve("unknown.json"), """
                {"mdev_type": "vfio_ap-passthrough", "start": "manual", "attrs": [{"no_such": "1"}]}""");
        fails(Errno.ENOENT, "Invalid attribute 'no_such'", "start", "-u", B, "-p", "matrix", "--jsonfile", unknown.toString());
        assertThat(bus.get(UUID.fromString(B))).isEmpty();
        usageError("cannot be used with '--type", "start", "-p", "matrix", "-u", C, "--jsonfile", json.toString(), "-t", "x");
        fails(Errno.EINVAL, "Parent device required to start device via json file",
                "start", "-u", C, "--jsonfile", json.toString());
    }

    // ---- modify -------------------------------------------------------------------------

    @Test
    void modifyEveryField() throws Exception {
        mdevctl("define", "-u", A, "-p", "matrix", "-t", "vfio_ap-passthrough");
        mdevctl("modify", "-u", A, "--addattr", "assign_adapter", "--value", "5");
        mdevctl("modify", "-u", A, "--addattr=assign_domain", "--value=4");
        mdevctl("modify", "-u", A, "--addattr", "assign_adapter", "--value", "6", "--index", "0");
        mdevctl("modify", "-u", A, "-p", "matrix", "--auto");
        assertThat(mdevctl("list", "-d", "-v")).isEqualTo(A + " matrix vfio_ap-passthrough auto\n"
                + "  Attrs:\n"
                + "    @{0}: {\"assign_adapter\":\"6\"}\n"
                + "    @{1}: {\"assign_adapter\":\"5\"}\n"
                + "    @{2}: {\"assign_domain\":\"4\"}\n");
        mdevctl("modify", "-u", A, "--delattr", "--index", "1");
        mdevctl("modify", "-u", A, "--delattr");
        mdevctl("modify", "-u", A, "--manual", "-t", "other-type");
        assertThat(mdevctl("list", "-d", "-v")).isEqualTo(A + " matrix other-type manual\n"
                + "  Attrs:\n"
                + "    @{0}: {\"assign_adapter\":\"6\"}\n");
        fails(Errno.EINVAL, "Attribute index 1 is invalid", "modify", "-u", A, "--delattr", "-i", "1");
        fails(Errno.EINVAL, "Attribute index 2 is invalid", "modify", "-u", A, "--addattr", "x", "--value", "1", "-i", "2");
        fails(Errno.ENOENT, "Mediated device " + B + " is not defined", "modify", "-u", B, "-a");
        fails(Errno.ENOENT, "Mediated device other/" + A + " is not defined", "modify", "-u", A, "-p", "other", "-a");
        usageError("--value", "modify", "-u", A, "--addattr", "x");
        usageError("cannot be used with '--delattr'", "modify", "-u", A, "--addattr", "x", "--value", "1", "--delattr");
        usageError("cannot be used with '--manual'", "modify", "-u", A, "-a", "-m");
        assertThat(mdevctl("list", "-d")).as("failed modifies change nothing").isEqualTo(A + " matrix other-type manual\n");

        Path json = Files.writeString(root.resolve("m.json"), """
                {"mdev_type": "vfio_ap-passthrough", "start": "auto", "attrs": [{"assign_domain": "71"}]}""");
        fails(Errno.EINVAL, "Parent device required to modify device via json file",
                "modify", "-u", A, "--jsonfile", json.toString());
        mdevctl("modify", "-u", A, "-p", "matrix", "--jsonfile", json.toString());
        assertThat(mdevctl("list", "-d", "-v")).isEqualTo(A + " matrix vfio_ap-passthrough auto\n"
                + "  Attrs:\n"
                + "    @{0}: {\"assign_domain\":\"71\"}\n");
    }

    // ---- auto-start ---------------------------------------------------------------------

    @Test
    void autoDefinitionsStartWhenTheirParentRegistersAndFailuresAreReported() {
        mdevctl("define", "-u", A, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_8", "--auto");
        mdevctl("define", "-u", B, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_8", "--auto");   // 1 instance only
        mdevctl("define", "-u", C, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_4");            // manual
        assertThat(engine.startParentDevices("0000:00:02.0")).isEqualTo(1);
        assertThat(bus.devices()).extracting(d -> d.uuid()).containsExactly(UUID.fromString(A));
        assertThat(warnings).singleElement().asString()
                .contains(B).contains("No available instances of i915-GVTg_V5_8 on 0000:00:02.0");
        assertThat(engine.startParentDevices("0000:00:02.0")).as("running ones are left alone").isZero();
        bus.unplug("0000:00:02.0");
        assertThat(engine.startParentDevices("0000:00:02.0")).isZero();
    }

    // ---- the command line itself --------------------------------------------------------

    @Test
    void helpVersionAndUsageErrors() {
        assertThat(mdevctl("--help")).contains("define").contains("modify").doesNotContain("start-parent-mdevs");
        assertThat(mdevctl("list", "--help")).contains("--dumpjson").contains("--defined");
        assertThat(mdevctl("--version")).isEqualTo(MdevctlCommandLine.VERSION);
        usageError("subcommand", new String[0]);
        usageError("Unknown option", "list", "--bogus");
        usageError("Unmatched argument", "frobnicate");
        assertThat(MdevctlCommandLine.usageText(new MdevctlCommandLine.UsageError("x")))
                .isEqualTo("error: x\n\nFor more information try --help");
    }

    /** A script in scripts.d/DIR that logs its arguments and input to {@code log} and exits with {@code status}. */
    Path script(String dir, String name, int status, Path log) throws Exception {
        Path file = root.resolve("etc/mdevctl.d/scripts.d").resolve(dir).resolve(name);
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.writeString(file, "#!/bin/sh\necho \"$0 $*\" >> " + log + "\ncat >> " + log
                + "\necho >> " + log + "\nexit " + status + "\n");
        file.toFile().setExecutable(true);
        return file;
    }

    @Test
    void calloutsMayRefuseAnActionAndHearHowItWent() throws Exception {
        Path log = root.resolve("callouts.log");
        script("callouts", "10-other-type", 2, log);
        Path gate = script("callouts", "20-gate", 1, log);
        script("notifiers", "notify", 0, log);
        ErrnoException refused = fails(Errno.EPERM, "Script '\"" + gate + "\"' failed with status '1'",
                "start", "-u", A, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_4");
        assertThat(refused).isNotNull();
        assertThat(bus.devices()).isEmpty();
        String said = java.nio.file.Files.readString(log);
        assertThat(said).contains("10-other-type -t i915-GVTg_V5_4 -e pre -a start -s none -u " + A + " -p 0000:00:02.0",
                "20-gate -t i915-GVTg_V5_4 -e pre -a start -s none", "{\"mdev_type\":\"i915-GVTg_V5_4\",\"start\":\"manual\",\"attrs\":[]}");
        assertThat(said).as("a refused action has no post").doesNotContain("-e post");
        assertThat(said).as("the notifiers hear of it all the same").contains("notify -t i915-GVTg_V5_4 -e notify -a start -s none");

        mdevctl("start", "-u", A, "-p", "0000:00:02.0", "-t", "i915-GVTg_V5_4", "--force");
        assertThat(bus.devices()).hasSize(1);
        assertThat(warnings).anyMatch(w -> w.startsWith("Forcing operation 'start' despite callout failure. Error was: Script"));
        said = java.nio.file.Files.readString(log);
        assertThat(said).contains("20-gate -t i915-GVTg_V5_4 -e post -a start -s success",
                "notify -t i915-GVTg_V5_4 -e notify -a start -s success");

        java.nio.file.Files.delete(gate);
        mdevctl("stop", "-u", A);
        assertThat(bus.devices()).isEmpty();
        assertThat(java.nio.file.Files.readString(log)).contains("notify -t i915-GVTg_V5_4 -e notify -a stop -s success");
    }

    @Test
    void calloutsHearOfDefinitionsToo() throws Exception {
        Path log = root.resolve("define.log");
        script("callouts", "gate", 0, log);
        mdevctl("define", "-u", B, "-p", "matrix", "-t", "vfio_ap-passthrough");
        mdevctl("undefine", "-u", B);
        String said = java.nio.file.Files.readString(log);
        assertThat(said).contains("-e pre -a define -s none -u " + B + " -p matrix",
                "-e post -a define -s success", "-e pre -a undefine", "-e post -a undefine -s success");
        Path refuse = script("callouts", "gate", 1, log);
        fails(Errno.EPERM, "Script '\"" + refuse + "\"' failed with status '1'",
                "define", "-u", B, "-p", "matrix", "-t", "vfio_ap-passthrough");
        assertThat(store.list()).isEmpty();
    }
}
