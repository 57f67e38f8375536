#!/usr/bin/env bash
# Installs every build, test and run dependency of Loom from Debian 12's packages.
# CUDA is not installed here: Loom uses /usr/local/cuda when it has nvcc and cuDNN.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git clang-format
  qt6-base-dev qt6-base-dev-tools qt6-tools-dev qt6-tools-dev-tools qt6-svg-dev
  libqt6opengl6-dev libgl-dev
  libqcustomplot-dev
  libopencv-dev libhdf5-dev libopenblas-dev nlohmann-json3-dev zlib1g-dev
  libzip-dev libonnx-dev libprotobuf-dev libgloo-dev
  libbenchmark-dev libonnx-testdata
  dataset-fashion-mnist python3-skimage-lib
  python3 python3-h5py python3-numpy python3-onnx
  nodejs
  xvfb xauth imagemagick
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm (scripts/fetch-test-data.sh runs it) is a package of its own in Debian, but NodeSource's
# nodejs bundles it and conflicts with Debian's, so it is asked for only when the command is
# missing.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
