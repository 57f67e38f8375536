#!/usr/bin/env bash
# Builds Loom's Debian package (installer/CMakeLists.txt): the application, loom-cli, the
# engine library, a .desktop entry, the icon, AppStream metadata and the examples, depending on
# the Debian packages of the libraries they link. Prints the .deb's path. The CUDA backend is
# left out unless LOOM_CUDA=ON, because /usr/local/cuda is no Debian package to depend on.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

loom_install_deps
build="${LOOM_PACKAGE_BUILD_DIR:-$loom_root/build-package}"
cmake -S "$loom_root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DLOOM_CUDA="${LOOM_CUDA:-OFF}" -DLOOM_APP=ON -DBUILD_TESTING=OFF -DLOOM_BENCHMARKS=OFF
cmake --build "$build" -j"$(nproc)"
(cd "$build" && cpack -G DEB >&2)
ls "$build"/loom_*.deb
