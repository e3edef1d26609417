package mdev.mdevctl.internal;

import java.nio.file.Path;
import java.util.UUID;

import mdev.testkit.FakeBus;

/**
 * A process that defines and modifies devices as fast as it can until it is killed; see
 * {@link KillDuringDefinesTest}. Prints "writing" once the first definition is on disk.
 */
public final class DefineBurst {
    private DefineBurst() {
    }

    public static void main(String[] args) {
        FakeBus bus = new FakeBus().parent("matrix", FakeBus.type("vfio_ap-passthrough", "AP", "", 256));
        MdevctlEngine engine = new MdevctlEngine(bus, new DefinitionStore(Path.of(args[0]), System.err::println),
                System.err::println);
        for (long i = 0; ; i++) {
            UUID uuid = new UUID(0x0b5e2a107c414d0eL, 0x9a6b000000000000L | i);
            engine.define(uuid, i % 2 == 0, "matrix", "vfio_ap-passthrough", null);
            // a long attribute list makes each rewrite big enough to be cut in the middle
            for (int a = 0; a < 8; a++) {
                engine.modify(uuid, null, new MdevctlEngine.Modification(null, false, false, "assign_domain",
                        false, null, "0x" + "f".repeat(200 + a), null, false, false));
            }
            if (i == 0) {
                System.out.println("writing");
                System.out.flush();
            }
        }
    }
}
