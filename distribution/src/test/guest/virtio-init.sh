#!/bin/busybox sh
# /init of the virtio guest: loads the Debian kernel's virtio_net and virtio-gpu modules (virtio_pci
# is built in), lists the virtio-pci functions and the drivers bound to them, then in rounds a
# few seconds apart: on each network interface an ARP request for its own address from another
# one (mvnet loops it back, this kernel answers it, the answer loops back to arping), and the
# status and first mode of each DRM connector.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "GUEST UP $(uname -r)"
for m in $(cat /lib/modules/load-order); do
    insmod "/lib/modules/$m" || echo "INSMOD FAILED $m"
done
# arping's source address is not this host's: the request must come back from "someone else"
echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind
sleep 1
for d in /sys/bus/pci/devices/*; do
    [ "$(cat "$d/vendor")" = 0x1af4 ] || continue
    echo "FUNCTION ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") $(basename "$(readlink "$d/driver")")"
done
for n in /sys/class/net/eth*; do
    [ -e "$n" ] || continue
    ip link set "${n##*/}" up
    ip addr add 10.0.2.15/24 dev "${n##*/}"
done
sleep 1
round=1
while true; do
    for n in /sys/class/net/eth*; do
        [ -e "$n" ] || continue
        nic=${n##*/}
        echo "NIC $nic $(cat "$n/address") $(basename "$(readlink "$n/device/driver")") $(cat "$n/operstate")"
        got=$(arping -c 1 -w 2 -I "$nic" -s 10.0.2.99 10.0.2.15 | sed -n 's/^Received \([0-9]*\) response.*/\1/p')
        echo "ARP $nic ${got:-0}"
    done
    for c in /sys/class/drm/card*-*; do
        [ -e "$c/modes" ] || continue
        echo "DRM ${c##*/} $(cat "$c/status") $(head -n 1 "$c/modes")"
    done
    echo "GUEST DONE $round"
    round=$((round + 1))
    sleep 2
done
