#!/usr/bin/env bash
# The CUDA backend's checks and speed on a GPU machine, in one command:
#   bench/gpu/run.sh [STAGE...]       stages: build parity sanitize bench (default: all four)
#
#   build     configure build-gpu/ (-DLOOM_APP=OFF -DLOOM_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90,
#             or LOOM_CUDA_ARCHITECTURES) and build loom-cli, loom-cuda-parity and, when Google
#             Benchmark is there, loom-bench
#   parity    loom-cuda-parity: every op, CPU vs CUDA, and W2/W4 trained 50 steps on both
#   sanitize  the same under compute-sanitizer's memcheck (no errors allowed)
#   bench     epochs of W1-W4 in Loom (loom-cli bench --device cuda) and in PyTorch eager
#             (pytorch_epochs.py), the median of several, and a table of the ratios
#
# Each stage also works alone (a device call is limited to 10 minutes), e.g. `run.sh build
# parity` then `run.sh sanitize` then `run.sh bench`. Logs go to build-gpu/logs/ and, when the
# variable OUT names a folder, are copied there. Exit status: non-zero when a stage failed.
#
# Environment: LOOM_GPU_BUILD (build folder, default build-gpu), LOOM_CUDA_ARCHITECTURES (90),
# LOOM_BENCH_REPEAT (timed epochs per workload, default 5), CUDNN_INCLUDE_DIR / CUDNN_LIBRARY
# (found in the usual places or in PyTorch's nvidia-cudnn wheel otherwise), LOOM_DEPS_DIR (a
# folder of Debian .deb files for HDF5, OpenBLAS, nlohmann-json, libzip, libonnx and protobuf
# when the machine lacks them; bench/gpu/fetch-deps.sh downloads them on a machine with apt).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${LOOM_GPU_BUILD:-$root/build-gpu}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
logs=$build/logs
repeat=${LOOM_BENCH_REPEAT:-5}
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(build parity sanitize bench)
status=0
mkdir -p "$logs"
export PATH=/usr/local/cuda/bin:$PATH

say() { printf '\n== %s\n' "$*"; }

save_logs() {
    if [ -n "${OUT:-}" ] && [ -d "${OUT:-}" ]; then
        cp "$logs"/*.log "$OUT"/ 2>/dev/null || true
    fi
}
trap save_logs EXIT

python_bin() {
    for p in python3 /opt/torch/.venv/bin/python3; do
        if command -v "$p" >/dev/null 2>&1 && "$p" -c "import torch" 2>/dev/null; then
            echo "$p"
            return
        fi
    done
}

# Extra configure arguments and library paths, worked out once: cuDNN where CMake does not
# look (PyTorch's nvidia-cudnn wheel), and Debian packages carried in LOOM_DEPS_DIR for
# libraries this machine lacks, unpacked beside the system (never into /).
cmake_extra=()
prepare_environment() {
    if [ -n "${CUDNN_INCLUDE_DIR:-}" ] && [ -n "${CUDNN_LIBRARY:-}" ]; then
        cmake_extra+=("-DCUDNN_INCLUDE_DIR=$CUDNN_INCLUDE_DIR" "-DCUDNN_LIBRARY=$CUDNN_LIBRARY")
    elif ! ls /usr/local/cuda/include/cudnn.h /usr/include/cudnn.h \
              /usr/include/x86_64-linux-gnu/cudnn.h >/dev/null 2>&1; then
        local py wheel lib
        py=$(python_bin)
        if [ -n "$py" ]; then
            wheel=$("$py" -c "import nvidia.cudnn, os; print(os.path.dirname(nvidia.cudnn.__file__))" \
                    2>/dev/null)
            lib=$(ls "$wheel"/lib/libcudnn.so* 2>/dev/null | head -1)
            if [ -f "$wheel/include/cudnn.h" ] && [ -n "$lib" ]; then
                echo "cuDNN from PyTorch's wheel: $wheel"
                cmake_extra+=("-DCUDNN_INCLUDE_DIR=$wheel/include" "-DCUDNN_LIBRARY=$lib")
                export LD_LIBRARY_PATH="$wheel/lib:${LD_LIBRARY_PATH:-}"
            fi
        fi
    fi
    local dir=${LOOM_DEPS_DIR:-$root/.gpu-deps}
    if ls "$dir"/*.deb >/dev/null 2>&1; then
        local prefix=/tmp/loom-deps arch=/tmp/loom-deps/usr/lib/x86_64-linux-gnu
        if [ ! -d "$prefix/usr" ]; then
            mkdir -p "$prefix"
            for deb in "$dir"/*.deb; do dpkg -x "$deb" "$prefix"; done
        fi
        echo "libraries from $dir unpacked in $prefix"
        export LD_LIBRARY_PATH="$arch:$arch/openblas-pthread:$arch/hdf5/serial:${LD_LIBRARY_PATH:-}"
        cmake_extra+=("-DCMAKE_PREFIX_PATH=$prefix/usr;$prefix/usr/share/cmake;$arch/cmake"
                      "-DHDF5_ROOT=$arch/hdf5/serial"
                      "-DCMAKE_LIBRARY_PATH=$arch;$arch/openblas-pthread"
                      "-DCMAKE_INCLUDE_PATH=$prefix/usr/include;$prefix/usr/include/hdf5/serial")
    fi
}

stage_build() {
    say "machine"
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv || true
    nvcc --version | tail -2
    say "configure and build ($build)"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLOOM_APP=OFF \
        -DLOOM_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${LOOM_CUDA_ARCHITECTURES:-90}" \
        "${cmake_extra[@]}" 2>&1 | tee "$logs/configure.log" || return 1
    local targets=(loom-cli loom-cuda-parity)
    if cmake --build "$build" --target help | grep -q "^loom-bench:"; then
        targets+=(loom-bench)
    fi
    cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]}" 2>&1 \
        | tee "$logs/build.log" | grep -E "error|warning|FAILED" || true
    [ -x "$build/engine/loom-cli" ] && [ -x "$build/tests/cuda/loom-cuda-parity" ]
}

stage_parity() {
    say "CPU-vs-CUDA parity (TF32 off)"
    "$build/engine/loom-cli" devices
    LOOM_SOURCE_DIR=$root "$build/tests/cuda/loom-cuda-parity" 2>&1 | tee "$logs/parity.log"
    local rc=${PIPESTATUS[0]}
    grep -E "^FAIL" "$logs/parity.log" || true
    tail -1 "$logs/parity.log"
    return "$rc"
}

stage_sanitize() {
    say "compute-sanitizer memcheck over the parity cases"
    local sanitizer
    sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer \
                /opt/nvidia/*/compute-sanitizer/compute-sanitizer 2>/dev/null | head -1)
    if [ -z "$sanitizer" ]; then
        echo "compute-sanitizer not found" >&2
        return 1
    fi
    # Left out: the training cases (2 x 50 steps of W4 under memcheck take long and run no
    # kernel the op cases do not) and the out-of-memory case, whose failing cudaMalloc is the
    # point. API errors are not memcheck's business (cuDNN probes, the driver count), so
    # they are not reported; out-of-bounds and misaligned accesses are.
    local options=(--tool memcheck --error-exitcode 3 --leak-check no)
    if "$sanitizer" --help 2>/dev/null | grep -q -- "--report-api-errors"; then
        options+=(--report-api-errors no)
    fi
    LOOM_SOURCE_DIR=$root "$sanitizer" "${options[@]}" \
        "$build/tests/cuda/loom-cuda-parity" --skip "50 steps" --skip "out of memory" 2>&1 \
        | grep -v "^PASS" | tee "$logs/sanitize.log"
    local rc=${PIPESTATUS[0]}
    grep -E "ERROR SUMMARY" "$logs/sanitize.log" || true
    return "$rc"
}

stage_bench() {
    say "epochs: Loom vs PyTorch eager ($repeat timed epochs each, median)"
    local py
    py=$(python_bin)
    if [ -z "$py" ]; then
        echo "no python3 with torch" >&2
        return 1
    fi
    local cli=$build/engine/loom-cli
    # name  model  batch  samples  goal (x PyTorch)
    local workloads=(
        "W1 $root/examples/w1_softmax.json 32 60000 10"
        "W2 $root/examples/w2_mlp.json 128 18750 5"
        "W3 $here/w3_nolearn_cnn_96.json 128 2048 1.5"
        "W4 $root/examples/w4_cnn.json 128 60000 3"
    )
    declare -A loom goal flops
    for w in "${workloads[@]}"; do
        read -r name model batch samples target <<<"$w"
        goal[$name]=$target
        "$cli" bench "$model" --device cuda --batch "$batch" --samples "$samples" \
            --repeat "$repeat" 2>&1 | tee -a "$logs/bench-loom.log"
        loom[$name]=$(tail -1 "$logs/bench-loom.log" | awk '{print $6}')
    done
    "$py" "$here/pytorch_epochs.py" --epochs "$repeat" 2>&1 | tee "$logs/bench-pytorch.log"
    declare -A torch
    while read -r name batch samples seconds work; do
        torch[$name]=$seconds
        flops[$name]=$work
    done < <(grep -E "^W[1-4] " "$logs/bench-pytorch.log")
    {
        printf '\n%-4s %12s %12s %9s %7s %5s %14s\n' workload "loom s/ep" "torch s/ep" speedup \
            goal met "TFLOP/epoch"
        for name in W1 W2 W3 W4; do
            local l=${loom[$name]:-nan} t=${torch[$name]:-nan}
            awk -v n="$name" -v l="$l" -v t="$t" -v g="${goal[$name]}" -v f="${flops[$name]:-0}" \
                'BEGIN { s = (l > 0) ? t / l : 0;
                         printf "%-4s %12.4f %12.4f %8.2fx %6sx %5s %14.4f\n",
                                n, l, t, s, g, (s >= g ? "yes" : "no"), f / 1e12 }'
        done
        nvidia-smi --query-gpu=name --format=csv,noheader
    } | tee "$logs/bench.log"
}

prepare_environment
for stage in "${stages[@]}"; do
    case "$stage" in
        build | parity | sanitize | bench)
            if ! "stage_$stage"; then
                echo "run.sh: stage '$stage' FAILED" >&2
                status=1
                [ "$stage" = build ] && exit 1
            fi
            ;;
        *)
            echo "run.sh: unknown stage '$stage' (build, parity, sanitize, bench)" >&2
            exit 2
            ;;
    esac
done
exit "$status"
