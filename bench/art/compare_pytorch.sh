#!/usr/bin/env bash
# Loom vs PyTorch on the art workloads, same shapes and formulas, in one run: one style-transfer
# loss + gradient through VGG16's feature stack (random weights, vgg16_features.json) and one
# deep-dream step on InceptionV3 up to mixed5 (the fetched model; see README "Pretrained
# networks"). Loom's side is `loom-cli bench-art`, PyTorch's pytorch_art.py beside this script.
#
# usage: bench/art/compare_pytorch.sh [BUILD_DIR] [DEVICE] [STYLE_SIZE] [DREAM_SIZE] [REPEAT]
#   DEVICE cpu (default) or cuda; on the CPU both sides use $LOOM_BENCH_THREADS threads
#   (default: all cores). The issue's sizes are 512 and 600; a 2-core CPU takes minutes there,
#   so smaller sizes give the same comparison sooner. On a GPU machine build with CUDA first
#   (bench/gpu/run.sh build) and pass build-gpu and cuda. PyTorch: Debian's python3-torch
#   (/usr/bin/python3) on the CPU, any python3 with torch on a GPU machine ($LOOM_TORCH_PYTHON).
#   On a CPU, PyTorch's large per-call buffers are mapped fresh by malloc each time and the
#   kernel's page zeroing can dominate its side (Loom reuses its convolution scratch); exporting
#   GLIBC_TUNABLES=glibc.malloc.mmap_threshold=2147483647:glibc.malloc.trim_threshold=4294967295
#   keeps them in the heap (README "Deep dream and style transfer" has both figures).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
device=${2:-cpu}
style=${3:-512}
dream=${4:-600}
repeat=${5:-5}
threads=${LOOM_BENCH_THREADS:-$(nproc)}
python=${LOOM_TORCH_PYTHON:-/usr/bin/python3}

if ! "$python" -c "import torch" 2>/dev/null; then
    echo "PyTorch is not installed for $python: sudo apt-get install python3-torch" >&2
    exit 1
fi

loom_out=$("$build/engine/loom-cli" bench-art --device "$device" --threads "$threads" \
    --style-size "$style" --dream-size "$dream" --repeat "$repeat" --vgg16 "$here/vgg16_features.json")
torch_out=$("$python" "$here/pytorch_art.py" --device "$device" --threads "$threads" \
    --style-size "$style" --dream-size "$dream" --repeat "$repeat")
echo "$loom_out"
echo "$torch_out"
printf '\n%-36s %10s %10s %9s   (%s, ms, median of %s)\n' workload loom pytorch speedup \
    "$device" "$repeat"
for name in "style_vgg16_$style" "dream_inception_v3_mixed5_$dream"; do
    l=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$loom_out")
    t=$(awk -v n="$name" '$1 == n { print $2 }' <<<"$torch_out")
    awk -v n="$name" -v l="$l" -v t="$t" \
        'BEGIN { printf "%-36s %10.1f %10.1f %8.2fx\n", n, l, t, t / l }'
done
