#include <loom/Error.h>
#include <loom/Platform.h>
#include <loom/WeightsFile.h>

#include "io/GraphWeights.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

namespace loom {

namespace {

constexpr int kWeightsFormatVersion = 1;

std::string temporaryPathFor(const std::string& path, ProcessId process) {
    return path + ".saving-" + std::to_string(process);
}

/// The process that wrote a temporary file beside `path`, if `name` is one.
std::optional<ProcessId> temporaryFileWriter(const std::string& name, const std::string& path) {
    const std::string prefix = std::filesystem::path(path).filename().string() + ".saving-";
    const std::string digits = name.substr(std::min(name.size(), prefix.size()));
    if (name.rfind(prefix, 0) != 0 || digits.empty() || digits.size() > 9 ||
        !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    return static_cast<ProcessId>(std::stoll(digits));
}

/// Removes the temporary files that saves of `path` by processes that no longer exist left
/// behind (killed, or the machine lost power, mid-save), so that they do not pile up beside it.
/// One whose process id is alive again (another program now) is kept: better a stale file than
/// another save's file removed.
void removeStaleTemporaryFiles(const std::string& path) {
    const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
        const std::optional<ProcessId> writer =
            temporaryFileWriter(entry.path().filename().string(), path);
        if (writer && *writer != currentProcessId() && !processIsAlive(*writer)) {
            std::filesystem::remove(entry.path(), error);
        }
    }
}

}  // namespace

void requireWritableTarget(const std::string& path) {
    const std::filesystem::path target = std::filesystem::absolute(path);
    const std::filesystem::path folder = target.parent_path();
    std::error_code error;
    if (!std::filesystem::is_directory(folder, error)) {
        throw IoError("cannot save to '" + path + "': the folder '" + folder.string() +
                      "' does not exist");
    }
    if (std::filesystem::is_directory(target, error)) {
        throw IoError("cannot save to '" + path + "': it is a folder");
    }
    // The save itself writes a file beside the target and renames it: so does the probe.
    const std::string probe = temporaryPathFor(path, currentProcessId());
    if (const std::error_code created = createNewFile(probe)) {
        throw IoError("cannot save to '" + path + "': " + created.message());
    }
    std::filesystem::remove(probe, error);
}

void writeAtomically(const std::string& path,
                     const std::function<void(const std::string&)>& write) {
    removeStaleTemporaryFiles(path);
    const std::string temporary = temporaryPathFor(path, currentProcessId());
    try {
        write(temporary);
        syncFileToDisk(temporary);
        std::filesystem::rename(temporary, path);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw;
    }
    syncFolderToDisk(std::filesystem::absolute(path).parent_path());
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

void loadWeights(Graph& graph, const std::string& path, NonFiniteWeights nonFinite) {
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
    if (nonFinite == NonFiniteWeights::Refuse) {
        requireFiniteWeights(graph, path);
    }
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
