#!/usr/bin/env bash
# Loom vs PyTorch (Debian's python3-torch, CPU) on the tutorial networks W1, W2 and W4: the same
# shapes, batch sizes, optimizers, thread count and synthetic data, in one run.
# usage: bench/compare_pytorch.sh [BUILD_DIR] [THREADS] [STEPS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build}
threads=${2:-$(nproc)}
steps=${3:-200}
cli=$build/engine/loom-cli
models=(w1_softmax w2_mlp_fashion w4_cnn)

if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    echo "PyTorch is not installed for /usr/bin/python3: sudo apt-get install python3-torch" >&2
    exit 1
fi

declare -A loom torch
while read -r name batch n ms rate; do
    loom[$name]=$ms
done < <(for m in "${models[@]}"; do echo "$root/examples/$m.json"; done \
             | xargs "$cli" bench --device cpu --threads "$threads" --steps "$steps" \
             | awk 'NR > 1 { print $1, $2, $3, $4, $5 }')
while read -r name batch n ms rate; do
    torch[$name]=$ms
done < <(/usr/bin/python3 "$here/pytorch_steps.py" "$threads" "$steps" "${models[@]}")

printf '%-16s %12s %14s %10s   (%s threads, %s steps, ms per training step)\n' \
    model loom pytorch speedup "$threads" "$steps"
for m in "${models[@]}"; do
    printf '%-16s %12s %14s %9.2fx\n' "$m" "${loom[$m]}" "${torch[$m]}" \
        "$(awk -v t="${torch[$m]}" -v l="${loom[$m]}" 'BEGIN { print t / l }')"
done
