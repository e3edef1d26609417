package mdev.shell.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.apache.felix.service.command.Descriptor;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

import mdev.core.Errno;
import mdev.core.ErrnoException;

/**
 * {@code config:describe}: what the bundles say can be configured (their MetaType
 * descriptions, served by the MetaType runtime), so a user knows what to put in the files of
 * {@code --config DIR} (docs/configuration.md).
 */
@Component(service = ConfigCommands.class, property = {
        "osgi.command.scope=config",
        "osgi.command.function=describe" })
public final class ConfigCommands {
    private final BundleContext context;
    private final MetaTypeService metatype;

    @Activate
    public ConfigCommands(BundleContext context, @Reference MetaTypeService metatype) {
        this.context = context;
        this.metatype = metatype;
    }

    /** PID (factory PIDs marked) to its description, over every bundle. */
    private TreeMap<String, ObjectClassDefinition> described() {
        TreeMap<String, ObjectClassDefinition> all = new TreeMap<>();
        for (Bundle b : context.getBundles()) {
            MetaTypeInformation info = metatype.getMetaTypeInformation(b);
            if (info == null) {
                continue;
            }
            for (String pid : info.getPids()) {
                all.put(pid, info.getObjectClassDefinition(pid, null));
            }
            for (String pid : info.getFactoryPids()) {
                all.put(pid + "~NAME", info.getObjectClassDefinition(pid, null));
            }
        }
        return all;
    }

    @Descriptor("list the configurable PIDs (factory ones as PID~NAME) and what each is")
    public String describe() {
        List<String> lines = new ArrayList<>();
        described().forEach((pid, ocd) -> lines.add(pid + "  " + ocd.getName()));
        return String.join(System.lineSeparator(), lines);
    }

    @Descriptor("show the properties one PID takes: name, type, default, description")
    public String describe(@Descriptor("PID, or PID~NAME for a factory") String pid) {
        ObjectClassDefinition ocd = described().get(pid.contains("~") ? pid.substring(0, pid.indexOf('~')) + "~NAME" : pid);
        if (ocd == null) {
            ocd = described().get(pid + "~NAME");
        }
        if (ocd == null) {
            throw new ErrnoException(Errno.ENOENT, "no bundle describes PID '" + pid + "' (config:describe lists them)");
        }
        List<String> lines = new ArrayList<>();
        lines.add(pid + ": " + ocd.getName() + (ocd.getDescription() == null ? "" : " - " + ocd.getDescription()));
        for (AttributeDefinition a : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            String[] defaults = a.getDefaultValue();
            lines.add("  " + a.getID() + " (" + type(a) + (a.getCardinality() != 0 ? "[]" : "") + ")"
                    + (defaults == null || defaults.length == 0 ? "" : " = " + String.join(",", defaults))
                    + (a.getDescription() == null ? "" : "  " + a.getDescription()));
        }
        return String.join(System.lineSeparator(), lines);
    }

    private static String type(AttributeDefinition a) {
        return switch (a.getType()) {
            case AttributeDefinition.STRING -> "string";
            case AttributeDefinition.INTEGER -> "integer";
            case AttributeDefinition.LONG -> "long";
            case AttributeDefinition.BOOLEAN -> "boolean";
            case AttributeDefinition.DOUBLE -> "double";
            default -> "type " + a.getType();
        };
    }
}
