#pragma once
/// Weights files: every parameter of a graph in one HDF5 file, one group per layer and one
/// float32 dataset per weight (/dense/kernel). Saves are atomic (written beside, flushed,
/// renamed); loads check every name, type and shape against the model before reading.

#include <loom/FiniteWeights.h>
#include <loom/Graph.h>

#include <functional>
#include <string>
#include <string_view>

namespace loom {

void saveWeights(Graph& graph, const std::string& path);
/// Throws IoError naming the file, the layer and what does not match, or the weight that is
/// NaN or infinite unless `nonFinite` allows that (the graph then holds the file's weights).
void loadWeights(Graph& graph, const std::string& path,
                 NonFiniteWeights nonFinite = NonFiniteWeights::Refuse);

/// Writes a file through `write(temporaryPath)` beside `path`, flushes it to disk and renames it
/// over `path`, so a crash leaves either the old file or the new one, never a torn one. The
/// temporary files of earlier saves of `path` whose processes died mid-save are removed first.
void writeAtomically(const std::string& path, const std::function<void(const std::string&)>& write);

/// IoError saying why, when a save to `path` would fail for its place: a folder that does not
/// exist or cannot be written to, or a folder at `path`. Checked before work whose result
/// would be saved there (training), so that the work is not lost at the end.
void requireWritableTarget(const std::string& path);

/// writeAtomically for a file that is these bytes; IoError naming the file when it cannot.
void writeFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace loom
