#!/usr/bin/env bash
# Installs the dependencies, builds Loom (Release) and runs every test suite with ctest.
# Arguments go to ctest, e.g. `scripts/test.sh -L engine` or `scripts/test.sh -R TestGraph`.
# Exits non-zero when any step or any test fails. See scripts/common.sh for the environment
# variables it reads (build folder, CUDA switch and architectures).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

loom_install_deps
loom_configure
loom_build_targets all
# The real-data tests (engine_TestPretrainedModels, TF.js reading Loom's exports) skip
# without their models, photos and TF.js; an offline machine still runs everything else.
if "$loom_root/scripts/fetch-test-data.sh"; then
  export LOOM_PRETRAINED_DIR=${LOOM_PRETRAINED_DIR:-$loom_test_data/pretrained}
  export LOOM_PHOTOS_DIR=${LOOM_PHOTOS_DIR:-$loom_test_data/photos}
  export LOOM_TFJS_NODE_PATH=${LOOM_TFJS_NODE_PATH:-$loom_test_data/node_modules}
else
  echo "test.sh: no test data fetched; the pretrained-model tests will skip" >&2
fi
# Widget and app suites get QT_QPA_PLATFORM=offscreen from their ctest registration, so no
# display is needed.
ctest --test-dir "$loom_build" --output-on-failure "$@"
