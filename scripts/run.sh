#!/usr/bin/env bash
# Installs the dependencies, builds Loom and starts it on an example project:
#   scripts/run.sh [--headless] [project.json]      (default project: examples/w2_mlp_fashion.json)
# With a display (DISPLAY or WAYLAND_DISPLAY set) and without --headless it opens the GUI;
# otherwise it runs the headless command below. See scripts/common.sh for the environment
# variables it reads.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

headless=0
project="$loom_root/examples/w2_mlp_fashion.json"
for arg in "$@"; do
  case "$arg" in
    --headless) headless=1 ;;
    -h|--help) sed -n '2,6p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
    *) project=$arg ;;
  esac
done

# The headless path: train the project on its data from the command line.
headless_command=(loom-cli train "$project")

loom_install_deps
loom_configure

if [ "$headless" -eq 0 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  if loom_has_target loom; then
    loom_build_targets loom
    exec "$loom_build/app/loom" "$project"
  fi
  echo "run.sh: the GUI was not configured (Qt 6 or QCustomPlot missing); running headless" >&2
fi

loom_build_targets "${headless_command[0]}"
exec "$loom_build/engine/${headless_command[0]}" "${headless_command[@]:1}"
