#pragma once
// A model file for loom-cli: the graph JSON with its "training" and "data" sections, the same
// JSON a project file embeds.

#include <loom/Graph.h>
#include <loom/TrainingConfig.h>

#include <nlohmann/json.hpp>

#include <string>

namespace loom::cli {

struct ModelFile {
    std::string path;
    Graph graph;
    TrainingConfig training;
    nlohmann::json data = nlohmann::json::object();  ///< data source and preprocessing
};

/// Reads and checks a model file; errors name the file.
ModelFile readModelFile(const std::string& path);

}  // namespace loom::cli
