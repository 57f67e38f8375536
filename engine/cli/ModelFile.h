#pragma once
// loom-cli's view of <loom/ModelFile.h>: imports' warnings printed as notes, and weights that
// may come from a separate --weights file.

#include "cli/Arguments.h"

#include <loom/ModelFile.h>
#include <loom/Prediction.h>

#include <string>
#include <vector>

namespace loom::cli {

/// The flag of the commands that inspect a model (summary, evaluate, predict, convert) that
/// loads NaN or infinite weights instead of refusing them, to look into a damaged file.
inline const std::string kAllowNonFiniteWeights = "allow-non-finite-weights";

/// loom::readModelFile, printing what the import left out as "note: ..." on stderr; weights
/// that are NaN or infinite are refused unless `args` holds kAllowNonFiniteWeights.
ModelFile readModelFile(const std::string& path, const Arguments& args);

/// Builds the graph and loads the weights file that --weights names (with non-finite weights
/// refused as readModelFile does); when `required`, a model with no weights of its own and no
/// weights file is a ConfigError naming `command`.
void prepareWeights(ModelFile& model, const Arguments& args, bool required,
                    const std::string& command);

/// A network by the name of a fetched one ("inception_v3", "mobilenet_v2") or from a model file
/// in any format Loom reads, built; a file without weights gets a note that its layers start
/// random.
Graph readNetwork(const std::string& nameOrPath, const Arguments& args);

/// How an image file becomes one sample of the model, as its training samples were made: the
/// training data are --data, else the model's data section's source (needed for mean_std).
SamplePreprocessing samplePreprocessing(const ModelFile& model, const Arguments& args);

/// The names of the model's output classes: the data section's class_names, Fashion-MNIST's
/// when it trained on that, else "0", "1", ...
std::vector<std::string> classNames(const ModelFile& model, const Arguments& args);

}  // namespace loom::cli
