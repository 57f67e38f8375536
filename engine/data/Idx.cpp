#include <loom/Error.h>
#include <loom/Idx.h>

#include <zlib.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace loom {

namespace {

// Deflate cannot compress better than about 1032:1, so a .gz file of c bytes holds at most
// that many times c; a header promising more is corrupt, and nothing is allocated for it.
constexpr uint64_t kMaxDeflateRatio = 1032;

struct GzCloser {
    void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

void readExactly(gzFile file, void* into, uint64_t bytes, const std::string& path,
                 const char* what) {
    auto* out = static_cast<char*>(into);
    while (bytes > 0) {
        unsigned chunk = static_cast<unsigned>(std::min<uint64_t>(bytes, 1u << 30));
        int got = gzread(file, out, chunk);
        if (got <= 0) {
            throw IoError(path + ": the file ends inside its " + what + " (truncated?)");
        }
        out += got;
        bytes -= static_cast<uint64_t>(got);
    }
}

uint32_t bigEndian(const unsigned char* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::vector<int64_t> readHeader(gzFile file, const std::string& path) {
    std::array<unsigned char, 4> magic{};
    readExactly(file, magic.data(), 4, path, "header");
    if (magic[0] != 0 || magic[1] != 0) {
        throw IoError(path + ": not an IDX file (bad magic number)");
    }
    if (magic[2] != 0x08) {
        throw IoError(path + ": IDX element type " + std::to_string(magic[2]) +
                      " is not supported (only unsigned bytes, 0x08)");
    }
    const int rank = magic[3];
    if (rank < 1 || rank > 4) {
        throw IoError(path + ": IDX rank " + std::to_string(rank) + " is outside 1..4");
    }
    std::vector<int64_t> dims;
    for (int i = 0; i < rank; ++i) {
        std::array<unsigned char, 4> d{};
        readExactly(file, d.data(), 4, path, "header");
        dims.push_back(bigEndian(d.data()));
    }
    return dims;
}

/// The number of elements the dims declare, UINT64_MAX (refused as too many) once a partial
/// product passes INT64_MAX: 32-bit dims can, and Shape::numel, which multiplies them in the
/// same order, would overflow (undefined behaviour) even where a later dim of 0 makes the
/// product 0.
uint64_t declaredElements(const std::vector<int64_t>& dims) {
    int64_t count = 1;
    for (int64_t dim : dims) {
        if (dim != 0 && count > INT64_MAX / dim) {
            return UINT64_MAX;
        }
        count *= dim;
    }
    return static_cast<uint64_t>(count);
}

}  // namespace

Tensor readIdx(const std::string& path) {
    std::error_code error;
    const uint64_t fileSize = std::filesystem::file_size(path, error);
    if (error) {
        throw IoError(path + ": cannot read (" + error.message() + ")");
    }
    GzFile file(gzopen(path.c_str(), "rb"));
    if (!file) {
        throw IoError(path + ": cannot open");
    }
    const std::vector<int64_t> dims = readHeader(file.get(), path);
    const Shape shape(dims);
    const uint64_t declared = declaredElements(dims);
    const bool compressed = gzdirect(file.get()) == 0;
    const uint64_t limit = compressed ? fileSize * kMaxDeflateRatio : fileSize;
    if (declared > limit) {
        throw IoError(path + ": the header declares " + shape.str() + " (" +
                      std::to_string(declared) + " bytes) but the file holds at most " +
                      std::to_string(limit) + "; it is corrupt or truncated");
    }
    std::vector<unsigned char> bytes(declared);
    readExactly(file.get(), bytes.data(), declared, path, "data");
    Tensor t = Tensor::empty(shape);
    float* out = t.data<float>();
    for (uint64_t i = 0; i < declared; ++i) {
        out[i] = bytes[i];
    }
    return t;
}

const std::vector<std::string>& fashionMnistClassNames() {
    static const std::vector<std::string> names{"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                "Bag",         "Ankle boot"};
    return names;
}

Dataset loadIdxDataset(const std::string& imagesPath, const std::string& labelsPath, bool fashion) {
    Tensor images = readIdx(imagesPath);
    Tensor labels = readIdx(labelsPath);
    if (images.rank() != 3 || labels.rank() != 1 || images.dim(0) != labels.dim(0)) {
        throw DataError("IDX images " + images.shape().str() + " and labels " +
                        labels.shape().str() + " do not match (expected [N, rows, cols] and [N])");
    }
    if (images.numel() == 0) {
        throw DataError(imagesPath + ": the IDX file declares " + images.shape().str() +
                        ", no samples to use (is it the right file?)");
    }
    Dataset data;
    data.samples = images.reshape(Shape{images.dim(0), 1, images.dim(1), images.dim(2)});
    data.targets = labels;
    int64_t classes = 0;
    for (int64_t i = 0; i < labels.numel(); ++i) {
        classes = std::max(classes, static_cast<int64_t>(labels.at(i)) + 1);
    }
    for (int64_t c = 0; c < classes; ++c) {
        data.classNames.push_back(fashion && classes == 10
                                      ? fashionMnistClassNames()[static_cast<size_t>(c)]
                                      : std::to_string(c));
    }
    data.source = imagesPath;
    return data;
}

Dataset loadFashionMnist(const std::string& folder, bool test) {
    const std::string prefix = folder + "/" + (test ? "t10k" : "train");
    auto existing = [](const std::string& base) {
        return std::filesystem::exists(base) ? base : base + ".gz";
    };
    std::string images = existing(prefix + "-images-idx3-ubyte");
    std::string labels = existing(prefix + "-labels-idx1-ubyte");
    if (!std::filesystem::exists(images) || !std::filesystem::exists(labels)) {
        throw DataError("Fashion-MNIST not found in " + folder + " (expected " + prefix +
                        "-images-idx3-ubyte[.gz]); on Debian install "
                        "it with: sudo apt-get install dataset-fashion-mnist");
    }
    return loadIdxDataset(images, labels, true);
}

}  // namespace loom
