#!/bin/sh
# Installs what the web view's browser test needs from Debian's packages: Chromium and its
# WebDriver (chromium, chromium-driver). Run by that test; does nothing when both are there.
set -eu
have() { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }
if have; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "browser-packages: chromium and chromium-driver are needed; install them as root: apt-get install chromium chromium-driver" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
install() { apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null; }
if ! install; then
    apt-get update -q >/dev/null
    install
fi
have
