#!/usr/bin/env bash
# Fetches what the real-data tests compare against (engine_TestPretrainedModels, TestArt and
# TestTfjsExport skip without it) into $LOOM_TEST_DATA_DIR (default: <build folder>/test-data), once:
#   pretrained/  nsfwjs' InceptionV3 and MobileNetV2 as TF.js layers models, from npm through
#                examples/fetch_pretrained.js (needs node and npm)
#   node_modules/ the pure-JavaScript @tensorflow/tfjs, from npm, which checks that TF.js
#                reads Loom's model.json exports (engine_TestTfjsExport)
#   photos/      scikit-image's chelsea.png, coffee.png, astronaut.png and ihc.png (the art
#                tests' style image) from Debian's python3-skimage: copied when installed,
#                else unpacked from its .deb, because installing it pulls in SciPy and
#                Matplotlib and takes over a minute
# scripts/test.sh points the tests at both folders. Exits non-zero when a fetch fails.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

models="$loom_test_data/pretrained"
if [ ! -f "$models/inception_v3/model.json" ] || [ ! -f "$models/mobilenet_v2/model.json" ]; then
  node "$loom_root/examples/fetch_pretrained.js" "$models"
fi

tfjs="$loom_test_data/node_modules/@tensorflow/tfjs"
if [ ! -f "$tfjs/package.json" ]; then
  npm install --silent --no-audit --no-fund --prefix "$loom_test_data" @tensorflow/tfjs@4.22.0
fi

photos="$loom_test_data/photos"
names=(chelsea.png coffee.png astronaut.png ihc.png)
skimage=/usr/lib/python3/dist-packages/skimage/data
missing=0
for name in "${names[@]}"; do [ -f "$photos/$name" ] || missing=1; done
if [ "$missing" -eq 1 ]; then
  mkdir -p "$photos"
  if [ -f "$skimage/chelsea.png" ]; then
    for name in "${names[@]}"; do cp "$skimage/$name" "$photos/"; done
  else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download -qq python3-skimage)
    dpkg-deb --fsys-tarfile "$work"/python3-skimage_*.deb |
      tar -x -C "$work" "${names[@]/#/.$skimage/}"
    for name in "${names[@]}"; do cp "$work$skimage/$name" "$photos/"; done
  fi
fi
echo "fetch-test-data: models in $models, TF.js in $loom_test_data/node_modules, photos in $photos"
