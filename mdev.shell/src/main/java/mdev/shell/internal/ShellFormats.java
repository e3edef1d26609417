package mdev.shell.internal;

import java.util.UUID;

import org.apache.felix.service.command.Converter;
import org.osgi.service.component.annotations.Component;

/**
 * How Gogo prints what the commands return ({@link Rows}) and UUIDs: one line per row, the
 * types in mdevctl's layout. A list of rows prints a line each (Gogo asks for each element).
 */
@Component(service = Converter.class, property = {
        "osgi.converter.classes=mdev.shell.internal.Rows$DeviceRow",
        "osgi.converter.classes=mdev.shell.internal.Rows$TypeListing",
        "osgi.converter.classes=mdev.shell.internal.Rows$AttributeRow",
        "osgi.converter.classes=java.util.UUID" })
public final class ShellFormats implements Converter {
    @Override
    public Object convert(Class<?> desiredType, Object in) {
        return null;   // formats only; arguments are parsed by the commands, with errnos
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        if (target instanceof Rows.DeviceRow row) {
            return level == PART ? row.uuid().toString() : row.line();
        }
        if (target instanceof Rows.TypeListing listing) {
            String text = listing.text();
            return level == INSPECT ? text.stripTrailing() : listing.types().size() + " types";
        }
        if (target instanceof Rows.AttributeRow row) {
            return level == PART ? row.name() : row.line();
        }
        if (target instanceof UUID uuid) {
            return uuid.toString();
        }
        return null;
    }
}
