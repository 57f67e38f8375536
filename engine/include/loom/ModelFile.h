#pragma once
/// A model from any file Loom reads: a JSON model (graph with "training" and "data" sections),
/// a .loom project, or an imported model (Keras .h5/.keras, TF.js model.json, ONNX). All
/// become a Project; only a project or an import carries weights.

#include <loom/FiniteWeights.h>
#include <loom/Project.h>

#include <string>
#include <vector>

namespace loom {

struct ModelFile : Project {
    std::string path;
    /// What an import left out (an optimizer Loom lacks, say), for the user.
    std::vector<std::string> warnings;
};

/// Reads and checks a model in any supported format (chosen by the file name); errors name
/// the file. Weights that are NaN or infinite are refused unless `nonFinite` allows them.
ModelFile readModelFile(const std::string& path,
                        NonFiniteWeights nonFinite = NonFiniteWeights::Refuse);

/// Writes the model in the format the name asks for: .loom (everything), model.json (a TF.js
/// layers model), other .json (graph and settings), .h5 (Keras 2 model with training config
/// and optimizer state), .onnx; atomic.
void writeModelFile(const Project& model, const std::string& path);

/// Builds the graph (seeded) unless it already holds weights from its file.
void ensureBuilt(ModelFile& model);

}  // namespace loom
