#!/usr/bin/python3
"""unfiltered_copy.py IN OUT: copies an HDF5 file with every dataset stored contiguously and
without filters, attributes kept with their types.

Loom's .loom files checksum every dataset (Fletcher-32), so a fuzzer's change to a JSON part
or a table almost always fails the checksum and never reaches the code that parses them. The
readers accept unfiltered datasets too, so these copies are the seeds that let it get there.
Needs Debian's python3-h5py."""

import sys

import h5py


def copy_attributes(src, dst):
    for name in src.attrs:
        attribute = src.attrs.get_id(name)
        dst.attrs.create(name, src.attrs[name], dtype=attribute.dtype)


def copy_group(src, dst):
    copy_attributes(src, dst)
    for name, item in src.items():
        if isinstance(item, h5py.Group):
            copy_group(item, dst.create_group(name))
        else:
            data = dst.create_dataset(name, data=item[()], dtype=item.dtype)
            copy_attributes(item, data)


with h5py.File(sys.argv[1], "r") as src, h5py.File(sys.argv[2], "w", libver=("v108", "v108")) as dst:
    copy_group(src, dst)
