#pragma once
/// Weights files: every parameter of a graph in one HDF5 file, one group per layer and one
/// float32 dataset per weight (/dense/kernel). Saves are atomic (written beside, flushed,
/// renamed); loads check every name, type and shape against the model before reading.

#include <loom/Graph.h>

#include <functional>
#include <string>
#include <string_view>

namespace loom {

void saveWeights(Graph& graph, const std::string& path);
/// Throws IoError naming the file, the layer and what does not match.
void loadWeights(Graph& graph, const std::string& path);

/// Writes a file through `write(temporaryPath)` beside `path`, flushes it to disk and renames it
/// over `path`, so a crash leaves either the old file or the new one, never a torn one.
void writeAtomically(const std::string& path, const std::function<void(const std::string&)>& write);

/// writeAtomically for a file that is these bytes; IoError naming the file when it cannot.
void writeFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace loom
