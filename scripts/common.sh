# shellcheck shell=bash
# Shared by scripts/run.sh and scripts/test.sh: install the dependencies, then configure and
# build Loom. Sourced, not run.
#
# Environment (all optional):
#   LOOM_BUILD_DIR           build folder (default: build)
#   LOOM_CUDA                AUTO (default), ON or OFF; AUTO builds CUDA code when
#                            /usr/local/cuda has nvcc and cuDNN
#   LOOM_CUDA_ARCHITECTURES  GPU architectures to compile CUDA code for (default: 90, the
#                            Hopper H100/H200 this project's GPU machines have; one architecture
#                            keeps the build short)
#   LOOM_WERROR              ON makes compiler warnings errors (CMake's LOOM_WERROR; CI
#                            sets it); default OFF
#   LOOM_CMAKE_ARGS          more arguments for cmake's configure step
#   LOOM_TEST_DATA_DIR       where scripts/fetch-test-data.sh puts the pretrained models and
#                            photos of the real-data tests (default: <build folder>/test-data)

loom_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
loom_build=${LOOM_BUILD_DIR:-build}
case "$loom_build" in /*) ;; *) loom_build="$loom_root/$loom_build" ;; esac
# shellcheck disable=SC2034  # read by the scripts that source this file
loom_test_data=${LOOM_TEST_DATA_DIR:-$loom_build/test-data}

loom_install_deps() {
  "$loom_root/installer/install-deps.sh"
}

loom_configure() {
  local extra=()
  if [ -n "${LOOM_CMAKE_ARGS:-}" ]; then
    # Word splitting is the point here: LOOM_CMAKE_ARGS holds several arguments.
    # shellcheck disable=SC2206
    extra=($LOOM_CMAKE_ARGS)
  fi
  cmake -S "$loom_root" -B "$loom_build" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release \
    -DLOOM_CUDA="${LOOM_CUDA:-AUTO}" \
    -DCMAKE_CUDA_ARCHITECTURES="${LOOM_CUDA_ARCHITECTURES:-90}" \
    -DLOOM_WERROR="${LOOM_WERROR:-OFF}" \
    "${extra[@]}"
}

# loom_build_targets TARGET...: builds these targets ("all": everything) on every core.
loom_build_targets() {
  cmake --build "$loom_build" --parallel "$(nproc)" --target "$@"
}

# loom_has_target NAME: whether the configured build defines that target (the GUI is only
# configured where Qt 6 was found).
loom_has_target() {
  # Not grep -q: it would stop reading early and, under pipefail, fail the pipe.
  cmake --build "$loom_build" --target help | grep "^$1: " >/dev/null
}
