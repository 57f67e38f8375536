#include "cli/ModelFile.h"

#include <loom/Error.h>

#include <filesystem>
#include <fstream>

namespace loom::cli {

ModelFile readModelFile(const std::string& path) {
    std::error_code error;
    auto size = std::filesystem::file_size(path, error);
    if (error) {
        throw IoError(path + ": cannot read (" + error.message() + ")");
    }
    // A model description is text of a few kilobytes; refuse to parse anything absurd.
    if (size > 64 * 1024 * 1024) {
        throw IoError(path + ": " + std::to_string(size) + " bytes is too large for a model file");
    }
    std::ifstream in(path);
    nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded()) {
        throw IoError(path + ": not valid JSON");
    }
    ModelFile model;
    model.path = path;
    try {
        model.graph = Graph::fromJson(json);
        if (json.contains("training")) {
            model.training = TrainingConfig::fromJson(json["training"]);
        }
        if (json.contains("data")) {
            model.data = json["data"];
        }
    } catch (const Error& e) {
        throw IoError(path + ": " + e.what());
    }
    return model;
}

}  // namespace loom::cli
