#!/usr/bin/env bash
# Installs Loom's .deb on a fresh Debian 12 made with debootstrap and starts both programs
# there, so the package's declared dependencies are checked against a machine that has only
# what they pull in. Needs root, debootstrap and Debian's mirror.
#
#   scripts/check-package.sh build-package/loom_0.1.0_amd64.deb [CHROOT_FOLDER]
#
# Passes when apt installs the package, `loom-cli summary` reads an installed example and
# `loom --screenshot` opens the window on an installed example and writes a PNG.
set -euo pipefail

deb=$(readlink -f "$1")
root=${2:-/tmp/loom-package-check}
if [ ! -x "$root/usr/bin/apt-get" ]; then
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian
fi
mount -t proc proc "$root/proc"
trap 'umount "$root/proc"' EXIT
cp "$deb" "$root/tmp/loom.deb"
chroot "$root" /bin/sh -c '
  set -e
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq /tmp/loom.deb >/dev/null
  dpkg -s loom | sed -n "s/^Depends: /depends: /p"
  loom-cli summary /usr/share/loom/examples/w4_cnn.json | tail -4
  QT_QPA_PLATFORM=offscreen loom --screenshot /tmp/loom-window.png \
    /usr/share/loom/examples/w4_cnn.json
  test -s /tmp/loom-window.png
'
cp "$root/tmp/loom-window.png" "${LOOM_SCREENSHOT_OUT:-/tmp/loom-package-window.png}"
echo "check-package: installed and ran in $root"
