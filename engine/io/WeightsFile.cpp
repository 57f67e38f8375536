#include <loom/Error.h>
#include <loom/WeightsFile.h>

#include "io/GraphWeights.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

namespace loom {

namespace {

constexpr int kWeightsFormatVersion = 1;

void fsyncFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

}  // namespace

void writeAtomically(const std::string& path,
                     const std::function<void(const std::string&)>& write) {
    const std::string temporary = path + ".saving-" + std::to_string(::getpid());
    try {
        write(temporary);
        fsyncFile(temporary);
        std::filesystem::rename(temporary, path);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw;
    }
    auto folder = std::filesystem::absolute(path).parent_path();
    fsyncFile(folder.string());
}

void writeFileAtomically(const std::string& path, std::string_view bytes) {
    writeAtomically(path, [&](const std::string& temporary) {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            throw IoError("cannot write '" + path + "': " + std::strerror(errno));
        }
    });
}

void saveWeights(Graph& graph, const std::string& path) {
    writeAtomically(path, [&](const std::string& temporary) {
        h5::File file = h5::File::create(temporary);
        file.writeIntegerAttribute("/", "loom_weights_version", kWeightsFormatVersion);
        writeGraphWeights(graph, file, "/");
        file.flush();
    });
}

void loadWeights(Graph& graph, const std::string& path) {
    h5::File file = h5::File::openForReading(path);
    if (!file.hasAttribute("/", "loom_weights_version")) {
        throw IoError(path + ": not a Loom weights file (no loom_weights_version attribute)");
    }
    int64_t version = file.integerAttribute("/", "loom_weights_version");
    if (version > kWeightsFormatVersion) {
        throw IoError(path + ": written by a newer Loom (weights format " +
                      std::to_string(version) + "); update Loom to open it");
    }
    readGraphWeights(graph, file, "/");
}

void writeGraphWeights(const Graph& graph, h5::File& file, const std::string& group) {
    for (size_t index : graph.order()) {
        const Layer& layer = *graph.nodes()[index].layer;
        for (const Parameter& p : layer.parameters()) {
            file.writeTensor(h5::join(h5::join(group, layer.name()), p.name), p.value);
        }
    }
}

void readGraphWeights(Graph& graph, const h5::File& file, const std::string& group) {
    for (size_t index : graph.order()) {
        Layer& layer = *graph.nodes()[index].layer;
        for (Parameter& p : layer.parameters()) {
            const std::string name = h5::join(h5::join(group, layer.name()), p.name);
            const std::string where =
                file.path() + ": layer '" + layer.name() + "' weight '" + p.name + "'";
            if (!file.isDataset(name)) {
                throw IoError(where + " is missing from the file");
            }
            Shape stored = file.datasetShape(name);
            if (stored != p.value.shape()) {
                throw IoError(where + " has shape " + stored.str() + " in the file but " +
                              p.value.shape().str() + " in the model");
            }
            Tensor host = file.readTensor(name, p.value.dtype());
            cpuBackend().copy(host, p.value);
        }
    }
}

}  // namespace loom
