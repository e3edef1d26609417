package mdev.sysfs.internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import mdev.core.ErrnoException;
import mdev.sysfs.internal.SysfsTree.Attr;
import mdev.sysfs.internal.SysfsTree.Dir;
import mdev.testkit.FakeBus;

/**
 * Jazzer on the sysfs tree's stores, as writes to the files reach them: a run of writes (any
 * bytes, or UUIDs of devices made before) to create, remove and attribute files, and paths the
 * input makes up, then a walk of the whole tree. A store either takes the value or fails with an
 * ErrnoException, and the tree stays readable.
 */
class SysfsStoreFuzzTest {
    private static final String[] FILES = {
        "/devices/mtty/mdev_supported_types/mtty-1/create",
        "/devices/0000:00:02.0/mdev_supported_types/i915-GVTg_V5_4/create",
        "/devices/mtty/%s/remove",
        "/bus/mdev/devices/%s/remove",
        "/devices/0000:00:02.0/%s/mdev_type/create",
        "/devices/mtty/%s/%s",
    };

    /** The entry point of tools/fuzz (Jazzer's own driver, run for millions of inputs). */
    public static void fuzzerTestOneInput(FuzzedDataProvider data) {
        new SysfsStoreFuzzTest().stores(data);
    }

    @FuzzTest(maxDuration = "10s")
    void stores(FuzzedDataProvider data) {
        FakeBus bus = new FakeBus()
                .parent("0000:00:02.0", FakeBus.type("i915-GVTg_V5_4", "GVTg_V5_4", "low_gm_size: 128MB", 2))
                .parent("mtty", FakeBus.type("mtty-1", "", "", 24));
        SysfsTree tree = new SysfsTree(bus);
        List<UUID> made = new ArrayList<>();
        for (int op = 0; op < 8 && data.remainingBytes() > 0; op++) {
            UUID some = made.isEmpty() || data.consumeBoolean() ? new UUID(data.consumeLong(), data.consumeLong())
                    : made.get(data.consumeInt(0, made.size() - 1));
            String path = data.consumeBoolean() ? data.consumeString(64)
                    : String.format(FILES[data.consumeInt(0, FILES.length - 1)], some, data.consumeString(16));
            String value = switch (data.consumeInt(0, 3)) {
                case 0 -> some + (data.consumeBoolean() ? "\n" : "");
                case 1 -> "1\n";
                default -> new String(data.consumeBytes(data.consumeInt(0, 80)), StandardCharsets.UTF_8);
            };
            Optional<SysfsTree.Node> node = tree.lookup(path);
            if (node.isPresent() && node.get() instanceof Attr attr && attr.writable()) {
                try {
                    attr.store().store(value);
                    if (path.endsWith("/create")) {
                        made.add(some);
                    }
                } catch (ErrnoException refused) {
                    // the only way to fail
                }
            }
        }
        walk(tree, "");
    }

    /** Reads every readable file under {@code path}. */
    private static void walk(SysfsTree tree, String path) {
        Optional<SysfsTree.Node> node = tree.lookup(path.isEmpty() ? "/" : path);
        if (node.isEmpty()) {
            return;
        }
        if (node.get() instanceof Dir dir) {
            for (String entry : dir.entries()) {
                walk(tree, path + "/" + entry);
            }
        } else if (node.get() instanceof Attr attr && (attr.mode() & 0444) != 0) {
            try {
                attr.show().show();
            } catch (ErrnoException refused) {
                // a file that answers an errno when read
            }
        }
    }
}
