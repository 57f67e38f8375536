#!/usr/bin/env bash
# The kill -9 experiment: trains W4 with `loom-cli train --checkpoint` and kills it with
# SIGKILL the moment it starts writing a checkpoint, KILLS times (default 30). After each kill
# the checkpoint left behind must load and evaluate (an atomic save leaves the previous complete
# file); the next run's first save must remove the temporary file the killed save left; and
# when the experiment ends no temporary file may remain.
#
#   scripts/kill-during-saves.sh [BUILD_DIR] [KILLS]
#
# BUILD_DIR holds engine/loom-cli (default: build). W4 trains on the first 1,024 Fashion-MNIST
# training images (Debian's dataset-fashion-mnist), written as an IDX pair in a temporary
# folder, so that checkpoints come about once a second. Prints a line per kill and a summary;
# exits 1 when any check fails.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build}
kills=${2:-30}
cli=$build/engine/loom-cli
if [ ! -x "$cli" ]; then
  echo "kill-during-saves.sh: no loom-cli in $build/engine; build Loom first" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 - "$cli" "$root/examples/w4_cnn.json" "$work" "$kills" <<'PYTHON'
import glob, gzip, os, signal, subprocess, sys, time

cli, model, work, kills = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
source = "/usr/share/datasets/fashion-mnist"
samples = 1024

def subset(name, header, item_bytes):
    with gzip.open(f"{source}/{name}.gz", "rb") as f:
        head = bytearray(f.read(header))
        body = f.read(samples * item_bytes)
    head[4:8] = samples.to_bytes(4, "big")
    path = f"{work}/{name}"
    with open(path, "wb") as out:
        out.write(head + body)
    return path

images = subset("train-images-idx3-ubyte", 16, 28 * 28)
labels = subset("train-labels-idx1-ubyte", 8, 1)
data = f"idx:{images},{labels}"
checkpoint = f"{work}/w4.loom"

def temporaries():
    return glob.glob(checkpoint + ".saving-*")

def train(epochs):
    return subprocess.Popen([cli, "train", model, "--data", data, "--epochs", str(epochs),
                             "--checkpoint", checkpoint, "--threads", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

def evaluates():
    run = subprocess.run([cli, "evaluate", checkpoint, "--data", data],
                         capture_output=True, text=True)
    return run.returncode == 0 and "accuracy" in run.stdout, run.stdout + run.stderr

failures = []
landed = 0
for kill in range(1, kills + 1):
    stale = temporaries()
    before = os.stat(checkpoint).st_mtime_ns if os.path.exists(checkpoint) else None
    run = train(1000)
    # Armed once this run has saved a complete checkpoint (so that a kill always has one to
    # leave behind, and lands in a checkpoint's save rather than in the check of the place
    # before training, which writes and removes a file of the same name).
    while (not os.path.exists(checkpoint) or os.stat(checkpoint).st_mtime_ns == before) \
            and run.poll() is None:
        time.sleep(0.005)
    if run.poll() is not None:
        failures.append(f"kill {kill}: training ended by itself: {run.stderr.read().decode()}")
        break
    deadline = time.monotonic() + 120
    while not (new := [t for t in temporaries() if t not in stale]) and run.poll() is None:
        if time.monotonic() > deadline:
            break
    run.send_signal(signal.SIGKILL)
    run.wait()
    landed += bool(new)
    ok, output = evaluates()
    left = temporaries()
    print(f"kill {kill}: {'mid-save' if new else 'between saves'}, checkpoint "
          f"{'loads and evaluates' if ok else 'FAILED'}, {len(left)} temporary file(s) beside it",
          flush=True)
    if not ok:
        failures.append(f"kill {kill}: the checkpoint does not evaluate: {output.strip()}")
    if set(stale) & set(left):
        failures.append(f"kill {kill}: the earlier kill's temporary file survived a save")

final = train(1)
_, errors = final.communicate()
if final.returncode != 0:
    failures.append(f"the final run failed: {errors.decode().strip()}")
if temporaries():
    failures.append(f"temporary files remain after the last save: {temporaries()}")
print(f"{kills} kills, {landed} while a checkpoint was being written; "
      f"{len(failures)} failure(s)")
for failure in failures:
    print("FAILED:", failure)
sys.exit(1 if failures else 0)
PYTHON
