#!/usr/bin/env bash
# W5, neural_style_transfer.py: chelsea.png in the style of ihc.png (an immunohistochemistry
# stain), both from scikit-image, by L-BFGS over the pixels through InceptionV3. Needs the
# pretrained network (node examples/fetch_pretrained.js).
#   examples/w5_style_transfer.sh [OUT.png] [more loom-cli style options]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/art_photos.sh"
out=${1:-chelsea-style.png}
shift || true
"$loom_cli" style "$photos/chelsea.png" "$photos/ihc.png" --out "$out" --size 300 "$@"
