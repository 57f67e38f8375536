#!/usr/bin/env bash
# Uses the real Loom window as a person would, under Xvfb with xdotool: opens W4, starts
# training (F5), then presses Ctrl+N, Ctrl+O, Ctrl+Z, Ctrl+S and Ctrl+Q while it trains,
# answers the questions they raise, and takes a screenshot after each step. Fails when the
# program dies without being asked to quit, or when the project saved during training does
# not load.
#
#   scripts/try-window.sh [BUILD_DIR] [OUT_DIR]
#
# BUILD_DIR defaults to build (as scripts/test.sh builds it); the screenshots go to OUT_DIR
# (default: BUILD_DIR/try-window), one PNG per step, named after it. Needs xvfb, xdotool and
# imagemagick (installer/install-deps.sh installs them).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
out=${2:-$build/try-window}
mkdir -p "$out"
rm -f "$out"/*.png

home=$(mktemp -d)
display=:$((90 + RANDOM % 9))
cleanup() {
  kill "${loom_pid:-}" "${xvfb_pid:-}" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

Xvfb "$display" -screen 0 1400x900x24 -nolisten tcp &
xvfb_pid=$!
export DISPLAY=$display
# Recent files, autosave copies and settings go to a throwaway home.
export HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config
sleep 1

"$build/app/loom" "$root/examples/w4_cnn.json" >"$out/loom.log" 2>&1 &
loom_pid=$!
window=$(xdotool search --sync --onlyvisible --name 'Loom' | head -1)
xdotool windowactivate --sync "$window" 2>/dev/null || xdotool windowfocus "$window"

step=0
# shot NAME: a screenshot of the whole screen, after the window had time to repaint.
shot() {
  sleep 1.5
  step=$((step + 1))
  import -window root "$out/$(printf '%02d' "$step")-$1.png"
}
alive() {
  if ! kill -0 "$loom_pid" 2>/dev/null; then
    echo "try-window: Loom died after '$1' (see $out/loom.log)" >&2
    exit 1
  fi
  echo "try-window: $1: still running"
}
key() {
  xdotool key --clearmodifiers "$@"
}
# answer KEYS: key presses on the dialog that is open (the newest window besides the main one).
answer() {
  local dialog
  dialog=$(xdotool search --onlyvisible --name '.+' | grep -vx "$window" | tail -1) || true
  if [ -n "$dialog" ]; then
    xdotool windowfocus --sync "$dialog"
    key "$@"
  fi
}
# shortcut KEYS: a key press on the main window (without a window manager, focus does not
# return to it by itself when a dialog closes).
shortcut() {
  xdotool windowfocus --sync "$window"
  key "$@"
}

shot opened
shortcut F5
sleep 4
shot training
alive "F5 (train)"

shortcut ctrl+n
shot ctrl-n-asks
answer Escape
shot ctrl-n-cancelled
alive "Ctrl+N, cancelled"

shortcut ctrl+o
shot ctrl-o-asks
answer Escape
alive "Ctrl+O, cancelled"

shortcut ctrl+z
shot ctrl-z
alive "Ctrl+Z"

saved=$home/during-training.loom
shortcut ctrl+s
# The file dialog opens with the name field focused: type the path over the suggestion.
dialog=$(timeout 20 xdotool search --sync --onlyvisible --name 'Save project' | head -1)
xdotool windowactivate --sync "$dialog" 2>/dev/null || xdotool windowfocus "$dialog"
key ctrl+a
xdotool type --delay 20 "$saved"
key Return
shot ctrl-s
alive "Ctrl+S"
if [ ! -s "$saved" ]; then
  echo "try-window: Ctrl+S during training did not write $saved" >&2
  exit 1
fi
"$build/engine/loom-cli" summary "$saved" >/dev/null
echo "try-window: the project saved during training loads"

shortcut ctrl+q
shot ctrl-q-asks
answer Escape
alive "Ctrl+Q, cancelled"

shortcut ctrl+q
sleep 1
# "Training is running: stop it and quit?" -> Yes (Alt+Y); the run stops within a batch, then
# the unsaved-changes question (the run just finished) -> Discard (Tab to it, Space).
answer alt+y
shot ctrl-q-stopped
for _ in $(seq 1 20); do
  kill -0 "$loom_pid" 2>/dev/null || break
  answer Tab space
  sleep 0.5
done
if kill -0 "$loom_pid" 2>/dev/null; then
  shot still-open
  echo "try-window: Ctrl+Q, Yes, Discard did not quit" >&2
  exit 1
fi
wait "$loom_pid" && status=0 || status=$?
loom_pid=
echo "try-window: quit when asked (exit status $status); screenshots in $out"
exit "$status"
