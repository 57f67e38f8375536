# shellcheck shell=bash
# Sourced by the W5 and W6 examples: finds loom-cli and scikit-image's photos (BSD-licensed,
# shipped by Debian's python3-skimage; scripts/fetch-test-data.sh unpacks them without
# installing it). Sets loom_cli and photos.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
loom_cli=$(command -v loom-cli || echo "$here/../build/engine/loom-cli")
photos=${LOOM_PHOTOS_DIR:-}
for candidate in "$photos" /usr/lib/python3/dist-packages/skimage/data \
                 "$here/../build/test-data/photos"; do
  if [ -n "$candidate" ] && [ -f "$candidate/chelsea.png" ]; then
    photos=$candidate
    break
  fi
done
if [ ! -f "$photos/chelsea.png" ]; then
  echo "no scikit-image photos: install python3-skimage, or run scripts/fetch-test-data.sh" >&2
  exit 1
fi
