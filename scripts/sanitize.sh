#!/usr/bin/env bash
# Builds Loom with ThreadSanitizer and with AddressSanitizer + UndefinedBehaviorSanitizer, and
# runs test suites under each.
#
#   scripts/sanitize.sh [tsan|asan] [CTEST_ARGS...]
#
# tsan: build-tsan/, -fsanitize=thread: data races and lock-order inversions between Loom's
#       threads (the training and art workers, the data loaders, the GUI thread).
# asan: build-asan/, -fsanitize=address,undefined: out-of-bounds accesses, use after free,
#       double frees, leaks (LeakSanitizer, at exit) and undefined behaviour (overflow, bad
#       shifts, misaligned or null accesses, bad casts); -fno-sanitize-recover=undefined turns
#       every UB finding into a failure.
# Without tsan or asan: both, one after the other. Each is a RelWithDebInfo build (optimised,
# with line numbers in the reports) without CUDA and the benchmarks, through ccache when it is
# installed; only the suites to run are built. CTEST_ARGS choose the suites (default: the app
# suites and engine_TestTraining and engine_TestGraph) and go to ctest as they are, e.g.
#   scripts/sanitize.sh tsan -R 'TestTrainingController|TestTraining'
#
# A report fails its suite. ThreadSanitizer goes on after a race (halt_on_error=0) so that one
# run lists every race, and then exits with 66; AddressSanitizer and UBSan stop at the first
# finding (memory after one is not to be trusted). ctest prints a failing suite's output with
# the reports; <build>/Testing/Temporary/LastTest.log keeps every suite's. Suppressions, for
# third-party code only and each with its reason, are in scripts/sanitize/. Your own
# TSAN_OPTIONS, ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS are appended, so they win.
#
# OpenMP under ThreadSanitizer: Debian's libgomp is not instrumented, so TSan does not see
# its barriers and reports every OpenMP loop of the CPU backend as racing with itself. The
# TSan run therefore sets OMP_NUM_THREADS=1 (and OPENBLAS_NUM_THREADS=1, for OpenBLAS' own
# threads, which wait on plain flags TSan cannot see either): each parallel region runs on
# the thread that enters it, which is how the backend already runs one nested in another.
# TSan then checks Loom's own threads against each other, not the split of a kernel's loop
# between OpenMP's threads; the ASan run keeps every core.
#
# Time: on 2 busy cores each build took about half an hour. Under ASan engine_TestTraining took
# 31 minutes and app_TestUserSession 3. Under TSan engine_TestTraining took 2 h 18 min (W4's
# accuracy test alone 2 h 6 min) and app_TestUserSession 8 minutes; but a suite that races
# slows down many times over while TSan writes out its reports (the session suite's first seed
# took 80 minutes with 416 of them). Both builds give each test function up to 4 hours
# (LOOM_TEST_FUNCTION_TIMEOUT_MS) before Qt Test's watchdog ends its suite; ctest gives each
# suite 8 times its TIMEOUT under ASan and 40 times under TSan (LOOM_TEST_TIMEOUT_SCALE: a
# suite's own TIMEOUT wins over ctest --timeout).
#
# Environment (optional): LOOM_SANITIZE_JOBS (build parallelism, default: every core).
# The exit status is non-zero when a build or any suite under either sanitizer fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
suppressions=$root/scripts/sanitize
sanitizers=(tsan asan)
case "${1:-}" in
  tsan | asan)
    sanitizers=("$1")
    shift
    ;;
esac
ctest_args=("$@")
if [ ${#ctest_args[@]} -eq 0 ]; then
  ctest_args=(-R '^(app_.*|engine_TestTraining|engine_TestGraph)$')
fi

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi

# configure BUILD_DIR FLAGS TIMEOUT_SCALE: a RelWithDebInfo build with FLAGS on every compile
# and link, its suites given TIMEOUT_SCALE times their ctest TIMEOUT.
configure() {
  cmake -S "$root" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLOOM_CUDA=OFF \
    -DLOOM_BENCHMARKS=OFF -DLOOM_TEST_FUNCTION_TIMEOUT_MS=14400000 -DLOOM_TEST_TIMEOUT_SCALE="$3" \
    "${launcher[@]}" \
    -DCMAKE_C_FLAGS="$2" -DCMAKE_CXX_FLAGS="$2" \
    -DCMAKE_EXE_LINKER_FLAGS="$2" -DCMAKE_SHARED_LINKER_FLAGS="$2" >/dev/null
}

# build_suites BUILD_DIR: builds the executables of the suites CTEST_ARGS select (each suite
# is registered under its target's name, tests/CMakeLists.txt's loom_add_test).
build_suites() {
  local suites
  mapfile -t suites < <(ctest --test-dir "$1" -N "${ctest_args[@]}" |
    sed -n 's/^ *Test *#[0-9]*: *//p')
  if [ ${#suites[@]} -eq 0 ]; then
    echo "sanitize.sh: no suite matches ${ctest_args[*]}" >&2
    return 1
  fi
  echo "sanitize.sh: building ${suites[*]} in $1"
  cmake --build "$1" --parallel "${LOOM_SANITIZE_JOBS:-$(nproc)}" --target "${suites[@]}"
}

# run_suites BUILD_DIR: ctest; the suites' timeouts are scaled at configure time (above).
run_suites() {
  ctest --test-dir "$1" --output-on-failure "${ctest_args[@]}"
}

tsan() {
  local build=$root/build-tsan
  configure "$build" "-fsanitize=thread" 40 && build_suites "$build" &&
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
      TSAN_OPTIONS="halt_on_error=0:second_deadlock_stack=1:history_size=7:suppressions=$suppressions/tsan.supp:${TSAN_OPTIONS:-}" \
      run_suites "$build"
}

asan() {
  local build=$root/build-asan
  configure "$build" \
    "-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" 8 &&
    build_suites "$build" &&
    ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:${ASAN_OPTIONS:-}" \
      LSAN_OPTIONS="suppressions=$suppressions/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}" \
      UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}" \
      run_suites "$build"
}

# Each step is chained with &&: set -e does not apply inside a function called from an if.
failed=()
for sanitizer in "${sanitizers[@]}"; do
  echo "sanitize.sh: $sanitizer"
  if ! "$sanitizer"; then
    failed+=("$sanitizer")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "sanitize.sh: failures under ${failed[*]} (reports above, and in" \
    "build-<sanitizer>/Testing/Temporary/LastTest.log)" >&2
  exit 1
fi
echo "sanitize.sh: no findings under ${sanitizers[*]}"
