#!/bin/busybox sh
# /init of the display guest: loads the Debian kernel's bochs DRM driver (and what it needs),
# says which driver took which PCI function, the connector's status and modes (the first is the
# EDID's preferred one) and fb0's geometry; leaves the kernel's console on the screen for a few
# seconds ("CONSOLE"), then takes the console off fb0 and paints four bands, red, green, blue and
# white, top to bottom ("DRAWN").
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo "GUEST UP $(uname -r)"
for m in $(cat /lib/modules/load-order); do
    insmod "/lib/modules/$m" || echo "INSMOD FAILED $m"
done
sleep 2
for d in /sys/bus/pci/devices/*; do
    [ -e "$d/driver" ] && echo "FUNCTION ${d##*/} $(cat "$d/vendor"):$(cat "$d/device") $(basename "$(readlink "$d/driver")")"
done
for c in /sys/class/drm/card*-*; do
    [ -e "$c/modes" ] && echo "DRM ${c##*/} $(cat "$c/status") $(head -n 1 "$c/modes")"
done
size=$(cat /sys/class/graphics/fb0/virtual_size)
width=${size%,*}
height=${size#*,}
echo "FB $size stride $(cat /sys/class/graphics/fb0/stride) bpp $(cat /sys/class/graphics/fb0/bits_per_pixel)"
for i in 1 2 3; do echo "mdev-osgi: mbochs display, line $i" > /dev/tty1; done
echo "CONSOLE"
sleep 6
for v in /sys/class/vtconsole/vtcon*; do
    grep -q "frame buffer" "$v/name" && echo 0 > "$v/bind"
done
cd /tmp
printf '\000\000\377\000' > r
printf '\000\377\000\000' > g
printf '\377\000\000\000' > b
printf '\377\377\377\000' > w
for f in r g b w; do
    for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18; do cat $f $f > t; mv t $f; done
done
band=$((width * 4 * (height / 4)))
{ head -c $band r; head -c $band g; head -c $band b; head -c $band w; } > /dev/fb0
sleep 2
echo "DRAWN"
while true; do sleep 60; done
