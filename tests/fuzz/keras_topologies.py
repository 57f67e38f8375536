#!/usr/bin/python3
"""keras_topologies.py OUTDIR < FILES: writes the model topology of each Keras file named on
stdin (one per line: an .h5's model_config attribute, a .keras archive's config.json) as
OUTDIR/<folder>_<name>.json, the seeds of the KerasJson fuzzer in every Keras layout the fixtures hold.
Files without a topology (weights only, broken ones) are left out. Needs Debian's
python3-h5py."""

import os
import sys
import zipfile

import h5py


def topology(path):
    if path.endswith(".keras"):
        with zipfile.ZipFile(path) as archive:
            return archive.read("config.json")
    with h5py.File(path, "r") as f:
        config = f.attrs["model_config"]
        return config.encode("utf8") if isinstance(config, str) else bytes(config)


for line in sys.stdin:
    path = line.strip()
    try:
        text = topology(path)
    except (OSError, KeyError, zipfile.BadZipFile):
        continue
    folder = os.path.basename(os.path.dirname(path))
    name = os.path.splitext(os.path.basename(path))[0]
    with open(os.path.join(sys.argv[1], folder + "_" + name + ".json"), "wb") as out:
        out.write(text)
