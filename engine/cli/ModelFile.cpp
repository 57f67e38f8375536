#include "cli/ModelFile.h"

#include <loom/Error.h>
#include <loom/TfjsModel.h>
#include <loom/WeightsFile.h>

#include <filesystem>
#include <fstream>

namespace loom::cli {

namespace {

// A model description is text of a few kilobytes; refuse to parse anything absurd.
constexpr uintmax_t kMaxJsonBytes = 64 * 1024 * 1024;

std::string extensionOf(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    for (char& c : ext) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return ext;
}

nlohmann::json readJson(const std::string& path) {
    std::error_code error;
    auto size = std::filesystem::file_size(path, error);
    if (error) {
        throw IoError(path + ": cannot read (" + error.message() + ")");
    }
    if (size > kMaxJsonBytes) {
        throw IoError(path + ": " + std::to_string(size) + " bytes is too large for a model file");
    }
    std::ifstream in(path);
    nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded()) {
        throw IoError(path + ": not valid JSON");
    }
    return json;
}

void readLoomJson(const std::string& path, const nlohmann::json& json, ModelFile& model) {
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
}

void writeLoomJson(const ModelFile& model, const std::string& path) {
    nlohmann::json json = model.graph.toJson();
    json["training"] = model.training.toJson();
    json["data"] = model.data;
    writeAtomically(path, [&](const std::string& temporary) {
        std::ofstream out(temporary);
        out << json.dump(2) << "\n";
        if (!out.flush()) {
            throw IoError(path + ": could not be written (disk full?)");
        }
    });
}

}  // namespace

ModelFile readModelFile(const std::string& path) {
    const std::string ext = extensionOf(path);
    ModelFile model;
    if (ext == ".loom") {
        static_cast<Project&>(model) = loadProject(path);
    } else if (ext == ".json") {
        nlohmann::json json = readJson(path);
        if (json.contains("modelTopology")) {
            model.graph = loadTfjsModel(path);
            model.hasWeights = true;
        } else {
            readLoomJson(path, json, model);
        }
    } else {
        throw IoError(path + ": unknown model format '" + ext +
                      "'; Loom reads .json (Loom model or TF.js model.json) and .loom");
    }
    model.path = path;
    return model;
}

void writeModelFile(const ModelFile& model, const std::string& path) {
    const std::string ext = extensionOf(path);
    if (ext == ".loom") {
        saveProject(model, path);
    } else if (ext == ".json") {
        writeLoomJson(model, path);
    } else {
        throw IoError(path + ": unknown model format '" + ext + "'; Loom writes .loom and .json");
    }
}

void ensureBuilt(ModelFile& model) {
    if (!model.graph.isBuilt()) {
        model.graph.build(model.training.seed);
    }
}

void prepareWeights(ModelFile& model, const std::optional<std::string>& weightsPath, bool required,
                    const std::string& command) {
    ensureBuilt(model);
    if (weightsPath) {
        loadWeights(model.graph, *weightsPath);
        model.hasWeights = true;
    } else if (required && !model.hasWeights) {
        throw ConfigError(command +
                          " needs trained weights: pass --weights FILE (written by "
                          "loom-cli train --save), or a .loom project that holds them");
    }
}

}  // namespace loom::cli
