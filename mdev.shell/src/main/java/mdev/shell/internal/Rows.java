package mdev.shell.internal;

import java.util.List;
import java.util.UUID;

/**
 * What the shell's commands return: snapshots a script can take apart ({@code ($devices) get 0}
 * then {@code uuid}) and {@link ShellFormats} prints. Each is a record of plain values taken when
 * the command ran; none holds on to a device.
 */
final class Rows {
    private Rows() {
    }

    /** One device, as {@code mdev:list} shows it. */
    public record DeviceRow(UUID uuid, String parent, String type, String classDriver, boolean bound, int openCount) {
        String line() {
            return uuid + " " + parent + " " + type + " (" + classDriver + ", " + (bound ? "bound" : "unbound") + ", open "
                    + openCount + ")";
        }
    }

    /** One type of one parent, as {@code mdevctl types} shows it. */
    public record TypeRow(String parent, String id, long availableInstances, String deviceApi, String name,
            String description) {
    }

    /** Types of one or all parents, printed in mdevctl types' layout (sorted by parent, then id). */
    public record TypeListing(List<TypeRow> types) {
        String text() {
            StringBuilder out = new StringBuilder();
            String current = null;
            for (TypeRow t : types) {
                if (!t.parent().equals(current)) {
                    current = t.parent();
                    out.append(current).append('\n');
                }
                out.append("  ").append(t.id()).append('\n');
                out.append("    Available instances: ").append(t.availableInstances()).append('\n');
                out.append("    Device API: ").append(t.deviceApi()).append('\n');
                out.append("    Name: ").append(t.name()).append('\n');
                if (!t.description().isEmpty()) {
                    out.append("    Description: ")
                            .append(String.join(", ", t.description().strip().split("\\s*\\n\\s*"))).append('\n');
                }
            }
            return out.toString();
        }
    }

    /** One attribute of a device: its value, or null for a write-only one. */
    public record AttributeRow(String name, String value) {
        String line() {
            return name + ": " + (value == null ? "(write-only)" : value.replace("\n", "\n  "));
        }
    }
}
