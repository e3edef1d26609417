package mdev.mdevctl.internal;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;

/**
 * mdevctl's command line (src/cli.rs of 1.2, with 1.3's --force, modify --live/--defined and
 * the lsmdev form), parsed with picocli: the same verbs, options,
 * short forms, requirements and conflicts. Parsing yields a {@link Verb} to run on the engine;
 * a command line that does not parse is a {@link UsageError} (exit status 2, as clap's).
 */
final class MdevctlCommandLine {
    static final String VERSION = "mdevctl 1.3.0 (mdev-osgi)";

    private MdevctlCommandLine() {
    }

    /** A parsed command: run it on the engine; returns what to print, or null for nothing. */
    interface Verb {
        String run(MdevctlEngine engine);
    }

    /** The command line is wrong; the message is what to print. */
    static final class UsageError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageError(String message) {
            super(message);
        }
    }

    /** Help or version was asked for: print the text and succeed. */
    record Help(String text) implements Verb {
        @Override
        public String run(MdevctlEngine engine) {
            return text;
        }
    }

    /** uuid crate parsing: hyphenated or simple hex, any case (Java's own parser is lenient). */
    static final class UuidConverter implements ITypeConverter<UUID> {
        private static final Pattern HYPHENATED =
                Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
        private static final Pattern SIMPLE = Pattern.compile("[0-9a-fA-F]{32}");

        @Override
        public UUID convert(String value) {
            String text = value;
            if (SIMPLE.matcher(text).matches()) {
                text = text.substring(0, 8) + "-" + text.substring(8, 12) + "-" + text.substring(12, 16) + "-"
                        + text.substring(16, 20) + "-" + text.substring(20);
            } else if (!HYPHENATED.matcher(text).matches()) {
                throw new TypeConversionException("'" + value + "' is not a UUID");
            }
            return UUID.fromString(text);
        }
    }

    @Command(name = "mdevctl", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
            description = "A mediated device management utility for Linux",
            subcommands = {ListVerb.class, TypesVerb.class, StartVerb.class, StopVerb.class, DefineVerb.class,
                UndefineVerb.class, ModifyVerb.class, StartParentMdevs.class})
    static final class Top {
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {VERSION};
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List mediated devices")
    static final class ListVerb implements Verb {
        @Option(names = {"-d", "--defined"}, description = "Show defined devices")
        boolean defined;
        @Option(names = "--dumpjson", description = "Output device list in json format")
        boolean dumpJson;
        @Option(names = {"-v", "--verbose"}, description = "Print additional information about the devices")
        boolean verbose;
        @Option(names = {"-u", "--uuid"}, converter = UuidConverter.class,
                description = "List devices matching the specified UUID")
        UUID uuid;
        @Option(names = {"-p", "--parent"}, description = "List devices associated with the specified Parent device")
        String parent;

        @Override
        public String run(MdevctlEngine engine) {
            return engine.list(defined, dumpJson, verbose, uuid, parent);
        }
    }

    @Command(name = "types", mixinStandardHelpOptions = true, description = "List available mediated device types")
    static final class TypesVerb implements Verb {
        @Option(names = {"-p", "--parent"}, description = "Show supported types for the specified parent")
        String parent;
        @Option(names = "--dumpjson", description = "Output mdev types list in JSON format")
        boolean dumpJson;

        @Override
        public String run(MdevctlEngine engine) {
            return engine.types(parent, dumpJson);
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start a mediated device")
    static final class StartVerb implements Verb {
        @Option(names = {"-u", "--uuid"}, converter = UuidConverter.class, description = "UUID of the device to start")
        UUID uuid;
        @Option(names = {"-p", "--parent"}, description = "Parent of the device to start")
        String parent;
        @Option(names = {"-t", "--type"}, description = "Mdev type of the device to start")
        String type;
        @Option(names = "--jsonfile", description = "Details of the device to be started, in JSON format")
        Path jsonFile;
        @Option(names = {"-f", "--force"}, description = "Force command execution even if device-specific callout script fails")
        boolean force;

        @Override
        public String run(MdevctlEngine engine) {
            requireOneOf(uuid, "--uuid <UUID>", parent, "--parent <PARENT>");
            conflict(jsonFile, "--jsonfile <JSONFILE>", type, "--type <type>");
            engine.force(force);
            return printed(engine.start(uuid, parent, type, jsonFile));
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop a mediated device")
    static final class StopVerb implements Verb {
        @Option(names = {"-u", "--uuid"}, required = true, converter = UuidConverter.class,
                description = "UUID of the device to stop")
        UUID uuid;
        @Option(names = {"-f", "--force"}, description = "Force command execution even if device-specific callout script fails")
        boolean force;

        @Override
        public String run(MdevctlEngine engine) {
            engine.force(force);
            engine.stop(uuid);
            return null;
        }
    }

    @Command(name = "define", mixinStandardHelpOptions = true, description = "Define a persistent mediated device")
    static final class DefineVerb implements Verb {
        @Option(names = {"-u", "--uuid"}, converter = UuidConverter.class, description = "Assign UUID to the device")
        UUID uuid;
        @Option(names = {"-a", "--auto"}, description = "Automatically start device on parent availability")
        boolean auto;
        @Option(names = {"-p", "--parent"}, description = "Specify the parent of the device")
        String parent;
        @Option(names = {"-t", "--type"}, description = "Specify the mdev type of the device")
        String type;
        @Option(names = "--jsonfile", description = "Specify device details in JSON format")
        Path jsonFile;
        @Option(names = {"-f", "--force"}, description = "Force command execution even if device-specific callout script fails")
        boolean force;

        @Override
        public String run(MdevctlEngine engine) {
            requireOneOf(uuid, "--uuid <UUID>", parent, "--parent <PARENT>");
            conflict(jsonFile, "--jsonfile <JSONFILE>", type, "--type <type>");
            conflict(jsonFile, "--jsonfile <JSONFILE>", auto ? Boolean.TRUE : null, "--auto");
            engine.force(force);
            return printed(engine.define(uuid, auto, parent, type, jsonFile));
        }
    }

    @Command(name = "undefine", mixinStandardHelpOptions = true, description = "Undefine a persistent mediated device")
    static final class UndefineVerb implements Verb {
        @Option(names = {"-u", "--uuid"}, required = true, converter = UuidConverter.class,
                description = "UUID of the device to be undefined")
        UUID uuid;
        @Option(names = {"-p", "--parent"}, description = "Parent of the device to be undefined")
        String parent;
        @Option(names = {"-f", "--force"}, description = "Force command execution even if device-specific callout script fails")
        boolean force;

        @Override
        public String run(MdevctlEngine engine) {
            engine.force(force);
            engine.undefine(uuid, parent);
            return null;
        }
    }

    @Command(name = "modify", mixinStandardHelpOptions = true,
            description = "Modify the definition of a mediated device")
    static final class ModifyVerb implements Verb {
        @Option(names = {"-u", "--uuid"}, required = true, converter = UuidConverter.class,
                description = "UUID of the mdev to modify")
        UUID uuid;
        @Option(names = {"-p", "--parent"}, description = "Parent of the mdev to modify")
        String parent;
        @Option(names = {"-t", "--type"}, description = "Modify the mdev type for this device")
        String type;
        @Option(names = "--addattr", paramLabel = "attr_name", description = "add a new attribute")
        String addAttr;
        @Option(names = "--delattr", description = "Delete an attribute")
        boolean delAttr;
        @Option(names = {"-i", "--index"}, description = "Index of the attribute to modify")
        Integer index;
        @Option(names = "--value", paramLabel = "attr_value", description = "Value for the attribute specified by --addattr")
        String value;
        @Option(names = {"-a", "--auto"}, description = "Device will be started automatically")
        boolean auto;
        @Option(names = {"-m", "--manual"}, description = "Device must be started manually")
        boolean manual;
        @Option(names = "--jsonfile", description = "Replace the device's type, start and attributes by a JSON file")
        Path jsonFile;
        @Option(names = {"-l", "--live"},
                description = "Modify the running device definition only unless used together with defined option")
        boolean live;
        @Option(names = {"-d", "--defined"}, description = "Modify the stored device definition")
        boolean defined;
        @Option(names = {"-f", "--force"}, description = "Force command execution even if device-specific callout script fails")
        boolean force;

        @Override
        public String run(MdevctlEngine engine) {
            conflict(addAttr, "--addattr <attr_name>", delAttr ? Boolean.TRUE : null, "--delattr");
            conflict(auto ? Boolean.TRUE : null, "--auto", manual ? Boolean.TRUE : null, "--manual");
            conflict(jsonFile, "--jsonfile <JSONFILE>", type, "--type <type>");
            conflict(jsonFile, "--jsonfile <JSONFILE>", auto || manual ? Boolean.TRUE : null, "--auto/--manual");
            if (addAttr != null && value == null) {
                throw new UsageError("The following required arguments were not provided:\n    --value <attr_value>");
            }
            if (live && jsonFile == null) {
                throw new UsageError("The following required arguments were not provided:\n    --jsonfile <JSONFILE>");
            }
            conflict(live ? Boolean.TRUE : null, "--live", type, "--type <type>");
            conflict(live ? Boolean.TRUE : null, "--live", index, "--index <INDEX>");
            conflict(live ? Boolean.TRUE : null, "--live", value, "--value <attr_value>");
            if (index != null && index < 0) {
                throw new UsageError("Invalid value \"" + index + "\" for '--index <INDEX>': not an unsigned number");
            }
            engine.force(force);
            engine.modify(uuid, parent, new MdevctlEngine.Modification(type, auto, manual, addAttr, delAttr, index,
                    value, jsonFile, live, defined));
            return null;
        }
    }

    /** What udev runs when a parent registers; here the component does it itself. */
    @Command(name = "start-parent-mdevs", hidden = true)
    static final class StartParentMdevs implements Verb {
        @CommandLine.Parameters(index = "0", paramLabel = "PARENT")
        String parent;

        @Override
        public String run(MdevctlEngine engine) {
            engine.startParentDevices(parent);
            return null;
        }
    }

    // ---- parsing ------------------------------------------------------------------------

    /**
     * Parses a command line (without the program name) into the verb to run; one whose first
     * word is {@code lsmdev} is mdevctl's lsmdev form, list's options without the verb.
     */
    static Verb parse(List<String> args) {
        if (!args.isEmpty() && args.get(0).equals("lsmdev")) {
            CommandLine lsmdev = new CommandLine(new ListVerb()).setCommandName("lsmdev");
            lsmdev.getCommandSpec().versionProvider(new VersionProvider());
            return parse(lsmdev, args.subList(1, args.size()), result -> result);
        }
        return parse(new CommandLine(new Top()), args, result -> {
            if (!result.hasSubcommand()) {
                throw new UsageError("mdevctl requires a subcommand: list, types, start, stop, define, undefine or modify");
            }
            return result.subcommand();
        });
    }

    /** Parses with {@code line}; help and version as their text, the verb {@code chosen} picks otherwise. */
    private static Verb parse(CommandLine line, List<String> args, java.util.function.UnaryOperator<ParseResult> chosen) {
        StringWriter help = new StringWriter();
        line.setOut(new PrintWriter(help));
        line.getSubcommands().values().forEach(c -> c.setOut(new PrintWriter(help)));
        ParseResult result;
        try {
            result = line.parseArgs(args.toArray(String[]::new));
        } catch (ParameterException e) {
            throw new UsageError(e.getMessage());
        }
        if (CommandLine.printHelpIfRequested(result)) {
            return new Help(help.toString().stripTrailing());
        }
        return (Verb) chosen.apply(result).commandSpec().userObject();
    }

    /** clap's message for a usage error, as mdevctl prints it. */
    static String usageText(UsageError e) {
        return "error: " + e.getMessage() + "\n\nFor more information try --help";
    }

    private static void requireOneOf(Object a, String aName, Object b, String bName) {
        if (a == null && b == null) {
            throw new UsageError("The following required arguments were not provided:\n    " + aName + "\n    " + bName);
        }
    }

    private static void conflict(Object a, String aName, Object b, String bName) {
        if (a != null && b != null) {
            throw new UsageError("The argument '" + aName + "' cannot be used with '" + bName + "'");
        }
    }

    /** Verbs print a generated UUID; an empty answer means mdevctl prints nothing. */
    private static String printed(String uuidText) {
        return uuidText.isEmpty() ? null : uuidText;
    }
}
