#!/bin/busybox sh
# /init of the mtty guest: every serial port that 8250_pci bound on a PCI device is used as a
# UART in loopback (mtty sends TX back to RX), with its interrupt count, in rounds a few
# seconds apart until the test resets or quits the guest through QEMU's monitor.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "GUEST UP $(uname -r)"
round=1
while true; do
    for t in /sys/class/tty/ttyS*; do
        port=$(readlink -f "$t/device")
        pci=${port%/*}
        pci=${pci%/*}
        [ -f "$pci/vendor" ] || continue
        n=${t##*/}
        echo "PORT $n $(cat "$pci/vendor"):$(cat "$pci/device") ${pci##*/}"
        stty -F "/dev/$n" raw -echo 115200
        cat "/dev/$n" > "/tmp/$n.out" &
        reader=$!
        sleep 1   # the reader has the port open: what comes back is not flushed by a close
        echo "hello from $n" > "/dev/$n"
        sleep 1
        echo "IRQ $n $(grep -w "$n" /proc/interrupts | awk '{print $2}')"
        kill $reader
        echo "LOOP $n $(head -c 64 "/tmp/$n.out")"
    done
    echo "GUEST DONE $round"
    round=$((round + 1))
    sleep 2
done
