#!/usr/bin/env bash
# Fuzzes the readers of untrusted files with libFuzzer: .loom projects and Loom weights files
# (ProjectFile), Keras HDF5 files (KerasHdf5), Keras 3 .keras archives (KerasZip), Loom's JSON
# models (ModelJson), Keras topologies (KerasJson), TF.js model.json + shard (Tfjs), ONNX models
# (Onnx), IDX files (Idx), CSV data (Csv) and image files (Image).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds build-fuzz/ with clang, AddressSanitizer and UndefinedBehaviorSanitizer (LOOM_FUZZ=ON),
# writes seed corpora with Loom's own writers (loom-fuzz-seeds), the Keras fixture script and
# ONNX's node test models (Debian's libonnx-testdata), then runs each target for SECONDS
# (default 60) in one process. A crash, a sanitizer report, an exception other than an IoError
# naming the file (a DataError for Csv and Image), an HDF5 identifier left open (see
# tests/fuzz/FuzzHarness.h), an allocation over 1 GiB (no input this small justifies one), more
# than 2 GiB resident or an input taking over 30 s is a finding: its input is saved under
# build-fuzz/findings/<target>/ and the script exits 1 once every target has run. After each
# target, its whole corpus is read once more with LeakSanitizer on (tests/fuzz/lsan.supp lists
# the leaks inside HDF5 itself that are left out). The corpora grow in
# build-fuzz/corpus/<target>/ and carry over to the next run.
#
# Environment (optional): LOOM_FUZZ_BUILD_DIR (default build-fuzz), LOOM_FUZZ_JOBS (build
# parallelism, default: every core), LOOM_FUZZ_ARGS (more libFuzzer flags, e.g. -seed=1).
# Reproduce a finding with build-fuzz/tests/fuzz/loom-fuzz-<target> FILE (add
# ASAN_OPTIONS=fast_unwind_on_malloc=0 for whole stacks through HDF5), and minimise it with
# -minimize_crash=1 -max_total_time=120 (HDF5 files seldom shrink much: a small file made by
# hand with h5py that fails the same way is often better). Once fixed, it goes to
# tests/fixtures/fuzz/ (see its README and tests/engine/TestFuzzRegressions.cpp). Edit this
# script only between runs: bash reads it as it goes.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(ProjectFile KerasHdf5 KerasZip ModelJson KerasJson Tfjs Onnx Idx Csv Image)
fi
build=${LOOM_FUZZ_BUILD_DIR:-$root/build-fuzz}
case "$build" in /*) ;; *) build="$root/$build" ;; esac

# RelWithDebInfo: optimised enough to fuzz fast, with line numbers in the sanitizers' reports.
# OpenCV (Debian's, uninstrumented) for the Image target; ccache, where installed, for rebuilds.
launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_FUZZ=ON -DLOOM_APP=OFF -DLOOM_CUDA=OFF \
  -DLOOM_OPENCV=ON -DBUILD_TESTING=OFF -DLOOM_BENCHMARKS=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" --parallel "${LOOM_FUZZ_JOBS:-$(nproc)}" --target loom-fuzz-seeds \
  "${targets[@]/#/loom-fuzz-}"

# Seeds: made fresh each run (small, and they follow the file formats as those change).
seeds=$build/seeds
rm -rf "$seeds"
"$build/tests/fuzz/loom-fuzz-seeds" "$seeds/loom"
# Target:loom-fuzz-seeds' folder (a TF.js input is a model.json and its shard in one file).
# KerasZip's seeds all come from keras_fixtures.py below.
mkdir -p "$seeds/KerasZip"
for pair in ProjectFile:project KerasHdf5:keras ModelJson:json KerasJson:kerasjson Tfjs:tfjs \
  Onnx:onnx Idx:idx Csv:csv Image:image; do
  mkdir -p "$seeds/${pair%%:*}"
  cp "$seeds/loom/${pair#*:}"/* "$seeds/${pair%%:*}/"
done
# ONNX's node test models, one op each (Debian's libonnx-testdata), where installed.
onnx_nodes=/usr/share/libonnx-testdata/data/node
for model in "$onnx_nodes"/*/model.onnx; do
  if [ -f "$model" ]; then
    cp "$model" "$seeds/Onnx/$(basename "$(dirname "$model")").onnx"
  fi
done
# With Debian's python3-h5py: the projects again without their checksums (so that changed
# JSON and tables reach the code that parses them), and the Keras 1, 2, tf.keras and Keras 3
# layouts and broken variants.
for project in "$seeds"/loom/project/*.loom; do
  /usr/bin/python3 "$root/tests/fuzz/unfiltered_copy.py" "$project" \
    "$seeds/ProjectFile/$(basename "$project" .loom).unfiltered.loom" ||
    echo "fuzz.sh: no unchecksummed project seeds (python3-h5py missing?)" >&2
done
if /usr/bin/python3 "$root/tests/fixtures/keras_fixtures.py" generate "$seeds/fixtures" \
  >/dev/null 2>"$seeds/fixtures.log"; then
  find "$seeds/fixtures" -name '*.h5' -exec cp --backup=numbered {} "$seeds/KerasHdf5/" \;
  find "$seeds/fixtures" -name '*.keras' -exec cp --backup=numbered {} "$seeds/KerasZip/" \;
  # Their topologies too: the Keras 1 and Keras 3 forms that kerasModelFromConfig upgrades.
  find "$seeds/fixtures" -name '*.h5' -o -name '*.keras' |
    /usr/bin/python3 "$root/tests/fuzz/keras_topologies.py" "$seeds/KerasJson"
else
  echo "fuzz.sh: keras_fixtures.py failed (python3-h5py missing?); Keras seeds are Loom's" \
    "exports only (see $seeds/fixtures.log)" >&2
fi

# A RAM-backed scratch folder where there is one: every input is written to a file.
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ]; then
  export TMPDIR=/dev/shm
fi
# Leaks are looked for in a pass of their own after the fuzzing (below): finding where HDF5's
# allocations come from needs slow unwinding (HDF5 has no frame pointers), which would slow
# every input down.
fuzz_asan=detect_leaks=0
leak_asan=detect_leaks=1:fast_unwind_on_malloc=0
export LSAN_OPTIONS=suppressions=$root/tests/fuzz/lsan.supp
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# The Image target's corrupt images: OpenCV's warnings about each are silenced, libjpeg's go to
# the log only (below).
export OPENCV_LOG_LEVEL=ERROR

failed=()
for target in "${targets[@]}"; do
  corpus=$build/corpus/$target
  findings=$build/findings/$target
  mkdir -p "$corpus" "$findings"
  echo "fuzz.sh: $target for ${seconds}s (corpus $corpus)"
  # The progress lines (#N ...) go to the log only. shellcheck: LOOM_FUZZ_ARGS holds flags.
  set +e
  # shellcheck disable=SC2086
  ASAN_OPTIONS=$fuzz_asan "$build/tests/fuzz/loom-fuzz-$target" "$corpus" "$seeds/$target" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=30 \
    -dict="$root/tests/fuzz/loom.dict" -artifact_prefix="$findings/" -print_final_stats=1 \
    ${LOOM_FUZZ_ARGS:-} 2>&1 |
    tee "$build/fuzz-$target.log" |
    grep --line-buffered -v -e '^#[0-9]' -e 'NEW_FUNC' -e '^"' -e '^Corrupt JPEG data' \
      -e '^Premature end of JPEG file'
  status=${PIPESTATUS[0]}
  if [ "$status" -eq 0 ]; then
    # Every input of the corpus once more, with LeakSanitizer at the end (-runs=0: no fuzzing).
    echo "fuzz.sh: $target: looking for leaks over the corpus"
    ASAN_OPTIONS=$leak_asan "$build/tests/fuzz/loom-fuzz-$target" "$corpus" "$seeds/$target" \
      -runs=0 -rss_limit_mb=4096 >"$build/leaks-$target.log" 2>&1
    status=$?
    if [ "$status" -ne 0 ]; then
      grep -A40 'ERROR: LeakSanitizer' "$build/leaks-$target.log" >&2 || true
    fi
  fi
  set -e
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]}: see $build/findings/ and $build/fuzz-<target>.log" >&2
  exit 1
fi
echo "fuzz.sh: no findings in ${targets[*]} (${seconds}s each)"
