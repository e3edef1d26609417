#!/bin/sh
# Installs what the real-guest tests need, from Debian's registry, outside the clone and the
# home directory, once (later runs find it and do nothing):
#   $MDEV_GUEST_CACHE (default /var/cache/mdev-osgi/guest)/
#     trixie/                  a Debian trixie chroot (debootstrap, minbase) with QEMU from
#                              trixie-backports: qemu-system-x86_64 with vfio-user-pci
#     trixie/guest/vmlinuz     a Debian kernel (linux-image-*-amd64, 8250_pci built in)
#     trixie/guest/busybox     busybox-static, for the initramfs the tests build
#     trixie/guest/modules/    modules of that kernel the guests load (virtio_net, virtio-gpu, bochs and
#                              what they depend on), uncompressed, and load-order: their names,
#                              each after what it needs
# Debian 12's own QEMU (7.2) has no vfio-user client, hence the chroot. Needs root
# (debootstrap, chroot). Prints one line saying what is missing when it cannot go on.
set -eu
cache=${MDEV_GUEST_CACHE:-/var/cache/mdev-osgi/guest}
root=$cache/trixie
recipe=3
done_mark=$cache/.complete-$recipe

fail() {
    echo "guest-packages: $*" >&2
    exit 1
}

if [ -f "$done_mark" ]; then
    exit 0
fi
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot) to install QEMU >= 10.1 and a guest kernel under $cache"

mirror=$(sed -n 's/^URIs: *\([^ ]*debian\/\{0,1\}\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(http[^ ]*\) .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null 2>&1; then
    apt-get install -y -q --no-install-recommends debootstrap >/dev/null 2>&1 \
        || { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q --no-install-recommends debootstrap >/dev/null 2>&1; } \
        || fail "cannot install debootstrap from $mirror (apt-get install debootstrap)"
fi

mkdir -p "$cache"
if [ ! -x "$root/usr/bin/apt-get" ]; then
    rm -rf "$root.partial"
    debootstrap --variant=minbase trixie "$root.partial" "$mirror" >"$cache/debootstrap.log" 2>&1 \
        || fail "debootstrap of trixie from $mirror failed (see $cache/debootstrap.log)"
    rm -rf "$root"
    mv "$root.partial" "$root"
fi

cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror trixie main
deb $mirror trixie-backports main
EOF
in_root() {
    chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive "$@"
}
in_root apt-get update -q >"$cache/apt.log" 2>&1 || fail "apt-get update in the trixie chroot failed (see $cache/apt.log)"
in_root apt-get install -y -q --no-install-recommends -t trixie-backports qemu-system-x86 >>"$cache/apt.log" 2>&1 \
    || fail "cannot install qemu-system-x86 from trixie-backports (see $cache/apt.log)"
in_root apt-get install -y -q --no-install-recommends kmod xz-utils >>"$cache/apt.log" 2>&1 \
    || fail "cannot install kmod and xz-utils in the trixie chroot (see $cache/apt.log)"
in_root qemu-system-x86_64 -device help 2>/dev/null | grep -q '"vfio-user-pci"' \
    || fail "the QEMU installed in $root has no vfio-user-pci device"

# The guest's kernel and busybox: unpacked from their packages, not installed.
kernel=$(in_root apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n 1)
[ -n "$kernel" ] || fail "cannot tell which kernel linux-image-amd64 names in trixie"
rm -rf "$root/guest" "$root/tmp/guest-debs"
mkdir -p "$root/guest" "$root/tmp/guest-debs"
(cd "$root/tmp/guest-debs" && in_root sh -c "cd /tmp/guest-debs && apt-get download -q $kernel busybox-static" >>"$cache/apt.log" 2>&1) \
    || fail "cannot download $kernel and busybox-static (see $cache/apt.log)"
for deb in "$root"/tmp/guest-debs/*.deb; do
    dpkg-deb -x "$deb" "$root/tmp/guest-debs/x"
done
cp "$root"/tmp/guest-debs/x/boot/vmlinuz-* "$root/guest/vmlinuz"
cp "$root/tmp/guest-debs/x/usr/bin/busybox" "$root/guest/busybox"
echo "$kernel" >"$root/guest/kernel-version"

# Drivers the kernel has as modules: each wanted one after the modules it depends on
# (modules.dep lists them all, the last to load first), uncompressed for busybox's insmod.
kver=$(ls "$root/tmp/guest-debs/x/usr/lib/modules")
in_root depmod -b /tmp/guest-debs/x/usr "$kver" || fail "depmod of $kver failed"
moddir=/tmp/guest-debs/x/usr/lib/modules/$kver
mkdir -p "$root/guest/modules"
: >"$root/guest/modules/load-order"
for wanted in virtio_net virtio-gpu bochs; do
    line=$(grep "/$wanted.ko.xz:" "$root$moddir/modules.dep") || fail "$kver has no module $wanted"
    for m in $(echo "${line#*:}" | tr ' ' '\n' | sed '/^$/d' | tac) "${line%%:*}"; do
        ko=$(basename "$m" .xz)
        grep -qx "$ko" "$root/guest/modules/load-order" && continue
        in_root xz -dc "$moddir/$m" >"$root/guest/modules/$ko" || fail "cannot unpack $m"
        echo "$ko" >>"$root/guest/modules/load-order"
    done
done
rm -rf "$root/tmp/guest-debs"

touch "$done_mark"
