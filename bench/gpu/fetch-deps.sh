#!/usr/bin/env bash
# Downloads, on a machine with apt (this project's Debian 12 workstations), the Debian packages
# the engine builds against (HDF5, OpenBLAS, nlohmann-json, libzip, libonnx, protobuf) and the
# libraries they load, into .gpu-deps/, for a GPU machine whose image lacks them and cannot reach a package registry.
# bench/gpu/run.sh unpacks them into /tmp/loom-deps there (never into /) and points CMake and
# the loader at them. Only needed when run.sh's configure step says HDF5 or OpenBLAS is missing;
# carry the folder along (the device tool's `carry: [".gpu-deps"]`; it is git-ignored).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/.gpu-deps
packages=(libhdf5-dev libopenblas-dev nlohmann-json3-dev libzip-dev libonnx-dev
          libprotobuf-dev)
# Left out: what every Linux system has (C and C++ runtimes) and what must match the system
# (a second libc on the loader's path would break every program).
base='^(libc6|libc6-dev|libgcc-s1|libstdc\+\+6|libc-dev-bin|linux-libc-dev|libcrypt1|libcrypt-dev|libzstd1|zlib1g|debconf|dpkg|perl-base|gcc-12-base|libselinux1|libpcre2-8-0|tar|mount|libmount1|libblkid1|libuuid1)$'
mkdir -p "$out"
cd "$out"
mapfile -t closure < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
                           --no-breaks --no-replaces --no-enhances "${packages[@]}" \
                       | grep -E '^[a-z0-9]' | grep -vE "$base" | sort -u)
apt-get download "${closure[@]}"
du -sh "$out"
