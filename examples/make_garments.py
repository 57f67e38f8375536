# Writes examples/garments/ (the image folder of examples/transfer_mobilenet.json): 28x28 grey PNGs
# of two Fashion-MNIST classes from Debian's dataset-fashion-mnist, 150 training and 50
# validation pictures a class. Run: python3 examples/make_garments.py examples/garments
import gzip, struct, zlib, os, sys
src = "/usr/share/datasets/fashion-mnist"
out = sys.argv[1]
classes = {7: "sneaker", 9: "ankle_boot"}
def idx(name):
    with gzip.open(os.path.join(src, name)) as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]
def png(path, pixels):
    raw = b"".join(b"\x00" + pixels[r * 28:(r + 1) * 28] for r in range(28))
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)) + \
        chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)
for split, prefix, per in (("train", "train", 150), ("validation", "t10k", 50)):
    (_, images) = idx(prefix + "-images-idx3-ubyte.gz")
    (_, labels) = idx(prefix + "-labels-idx1-ubyte.gz")
    count = {k: 0 for k in classes}
    for i, label in enumerate(labels):
        if label in classes and count[label] < per:
            folder = os.path.join(out, split, classes[label])
            os.makedirs(folder, exist_ok=True)
            png(os.path.join(folder, "%s_%05d.png" % (prefix, i)), images[i * 784:(i + 1) * 784])
            count[label] += 1
