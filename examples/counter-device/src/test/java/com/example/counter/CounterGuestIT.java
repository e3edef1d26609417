package com.example.counter;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import mdev.core.MdevDevice;
import mdev.testkit.guest.LinuxGuest;
import mdev.testkit.osgi.MdevExtension;
import mdev.testkit.osgi.MdevHost;
import vfio.user.VfioUserServer;

/**
 * counter-device in a real Linux guest: served over vfio-user, booted on by Debian's QEMU and
 * kernel (the kit installs them once), and written by a shell script in the guest through
 * /dev/mem at the address the guest's PCI core gave BAR0.
 */
@ExtendWith(MdevExtension.class)
class CounterGuestIT {
    static final String SCRIPT = """
            for d in /sys/bus/pci/devices/*; do
                [ "$(cat $d/vendor):$(cat $d/device)" = "0x1b36:0x00ff" ] || continue
                echo "FOUND ${d##*/}"
                echo 1 > $d/enable
                bar=$(head -n 1 $d/resource | cut -d ' ' -f 1)
                devmem $bar 32 1
                devmem $bar 32 2
                devmem $bar 32 3
                echo "COUNT $(devmem $bar 32)"
            done
            """;

    @Test
    void aLinuxGuestWritesTheBarThreeTimes(MdevHost host) throws Exception {
        MdevDevice device = host.create(CounterParent.NAME, "counter-1");
        Path dir = Files.createTempDirectory("counter-guest");
        VfioUserServer server = host.service(VfioUserServer.class);
        Path socket = dir.resolve("counter.sock");
        server.serve(device.uuid(), socket);
        try {
            LinuxGuest.Result result = LinuxGuest.run("counter", dir, SCRIPT, Duration.ofMinutes(3), "counter.sock");
            assertThat(result.status()).as(result.output()).isZero();
            assertThat(result.output()).contains("FOUND 0000:").contains("COUNT 0x00000003");
        } finally {
            server.stop(socket);
        }
    }
}
