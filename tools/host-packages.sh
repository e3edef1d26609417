#!/bin/sh
# Installs what the sysfs-over-FUSE tests need from Debian's packages: libfuse2 (jnr-fuse
# mounts through libfuse.so.2) and mdevctl 1.2 (the real tool run against the mounted tree).
# Run by the build (mdev.sysfs's tests); does nothing when both are there.
set -eu
have_libfuse() { ldconfig -p 2>/dev/null | grep -q 'libfuse\.so\.2 '; }
have_mdevctl() { command -v mdevctl >/dev/null 2>&1; }
if have_libfuse && have_mdevctl; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "host-packages: libfuse2 and mdevctl are needed; install them as root: apt-get install libfuse2 mdevctl" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -q --no-install-recommends libfuse2 mdevctl >/dev/null; }
if ! install; then
    apt-get update -q >/dev/null
    install
fi
have_libfuse && have_mdevctl
