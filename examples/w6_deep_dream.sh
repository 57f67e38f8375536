#!/usr/bin/env bash
# W6, deep_dream.py: gradient ascent on InceptionV3's mixed2..mixed5 over three octaves, on
# scikit-image's chelsea.png. Needs the pretrained network (node examples/fetch_pretrained.js).
#   examples/w6_deep_dream.sh [OUT.png] [more loom-cli dream options]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/art_photos.sh"
out=${1:-chelsea-dream.png}
shift || true
"$loom_cli" dream "$photos/chelsea.png" --out "$out" "$@"
