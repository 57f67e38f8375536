#pragma once
// loom-cli's view of <loom/ModelFile.h>: imports' warnings printed as notes, and weights that
// may come from a separate --weights file.

#include <loom/ModelFile.h>

#include <optional>
#include <string>

namespace loom::cli {

/// loom::readModelFile, printing what the import left out as "note: ..." on stderr.
ModelFile readModelFile(const std::string& path);

/// Builds the graph and loads the weights file when one is given; when `required`, a model
/// with no weights of its own and no weights file is a ConfigError naming `command`.
void prepareWeights(ModelFile& model, const std::optional<std::string>& weightsPath, bool required,
                    const std::string& command);

}  // namespace loom::cli
