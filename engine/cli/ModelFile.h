#pragma once
// The model a loom-cli command works on, from any file Loom reads: a JSON model (graph with
// "training" and "data" sections), a .loom project, or an imported model (Keras .h5/.keras,
// TF.js model.json, ONNX). All become a Project; only a project or an import carries weights.

#include <loom/Project.h>

#include <optional>
#include <string>

namespace loom::cli {

struct ModelFile : Project {
    std::string path;
};

/// Reads and checks a model in any supported format (chosen by the file name); errors name
/// the file. What an import leaves out (an optimizer Loom lacks, say) is printed as a note.
ModelFile readModelFile(const std::string& path);

/// Writes the model in the format the name asks for: .loom (everything), .json (graph and
/// settings), .h5 (Keras 2 model with training config and optimizer state), .onnx; atomic.
void writeModelFile(const ModelFile& model, const std::string& path);

/// Builds the graph (seeded) unless it already holds weights from its file.
void ensureBuilt(ModelFile& model);

/// Builds the graph and loads the weights file when one is given; when `required`, a model
/// with no weights of its own and no weights file is a ConfigError naming `command`.
void prepareWeights(ModelFile& model, const std::optional<std::string>& weightsPath, bool required,
                    const std::string& command);

}  // namespace loom::cli
