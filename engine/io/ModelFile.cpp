// Any model file Loom reads or writes, chosen by its name.

#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Experiment.h>
#include <loom/Json.h>
#include <loom/KerasHdf5.h>
#include <loom/ModelFile.h>
#include <loom/OnnxExport.h>
#include <loom/OnnxImport.h>
#include <loom/Optimizer.h>
#include <loom/TfjsModel.h>
#include <loom/Transfer.h>
#include <loom/WeightsFile.h>

#include <filesystem>
#include <fstream>

namespace loom {

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
    std::ifstream in(path, std::ios::binary);
    std::string text(static_cast<size_t>(size), '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size))) {
        throw IoError(path + ": cannot read");
    }
    return parseJson(text, path);
}

void readLoomJson(const std::string& path, const nlohmann::json& json, ModelFile& model) {
    try {
        if (json.contains("training")) {
            model.training = TrainingConfig::fromJson(json["training"]);
        }
        if (json.contains("transfer")) {
            model.graph = transferModelFromSection(json["transfer"], model.training.seed);
            model.graph.setName(json.value("name", model.graph.name()));
            model.hasWeights = true;
        } else {
            model.graph = Graph::fromJson(json);
        }
        if (json.contains("data")) {
            model.data = json["data"];
        }
        if (json.contains("experiment")) {
            model.experiment = ExperimentPlan::fromJson(json["experiment"]).toJson();
        }
    } catch (const Error& e) {
        throw IoError(path + ": " + e.what());
    }
}

void writeLoomJson(const Project& model, const std::string& path) {
    nlohmann::json json = model.graph.toJson();
    json["training"] = model.training.toJson();
    json["data"] = model.data;
    if (!model.experiment.empty()) {
        json["experiment"] = model.experiment;
    }
    writeFileAtomically(path, json.dump(2) + "\n");
}

void takeKerasModel(KerasModel keras, ModelFile& model) {
    model.graph = std::move(keras.graph);
    model.hasWeights = true;
    if (keras.training) {
        model.training = *keras.training;
        if (!keras.optimizerState.empty()) {
            model.optimizer = OptimizerState{model.training.optimizer, keras.optimizerIterations,
                                             std::move(keras.optimizerState)};
        }
    }
    model.warnings = std::move(keras.warnings);
}

// The optimizer a Keras export writes as optimizer_weights, rebuilt from the saved state.
std::unique_ptr<Optimizer> savedOptimizer(const Project& model) {
    if (!model.optimizer || model.optimizer->type != model.training.optimizer) {
        return nullptr;
    }
    auto optimizer = makeOptimizer(model.training.optimizer, model.training.optimizerParams);
    optimizer->restoreState(model.optimizer->tensors, model.optimizer->iterations);
    return optimizer;
}

}  // namespace

ModelFile readModelFile(const std::string& path, NonFiniteWeights nonFinite) {
    const std::string ext = extensionOf(path);
    ModelFile model;
    if (ext == ".loom") {
        static_cast<Project&>(model) = loadProject(path);
    } else if (ext == ".json") {
        nlohmann::json json = readJson(path);
        if (json.contains("modelTopology")) {
            takeKerasModel(loadTfjsKerasModel(path), model);
        } else {
            readLoomJson(path, json, model);
        }
    } else if (ext == ".h5" || ext == ".hdf5") {
        takeKerasModel(loadKerasHdf5(path), model);
    } else if (ext == ".keras") {
        takeKerasModel(loadKerasZip(path), model);
    } else if (ext == ".onnx") {
        model.graph = importOnnx(path);
        model.hasWeights = true;
    } else {
        throw IoError(path + ": unknown model format '" + ext +
                      "'; Loom reads .loom, .json (Loom model or TF.js model.json), Keras .h5 "
                      "and .keras, and .onnx");
    }
    model.data =
        withSourceRelativeTo(model.data, std::filesystem::path(path).parent_path().string());
    if (model.hasWeights && nonFinite == NonFiniteWeights::Refuse) {
        requireFiniteWeights(model.graph, path);
    }
    model.path = path;
    return model;
}

void writeModelFile(const Project& model, const std::string& path) {
    const std::string ext = extensionOf(path);
    if (ext == ".loom") {
        saveProject(model, path);
    } else if (ext == ".json" && std::filesystem::path(path).filename() == "model.json") {
        exportTfjsModel(model.graph, path, &model.training);
    } else if (ext == ".json") {
        writeLoomJson(model, path);
    } else if (ext == ".h5" || ext == ".hdf5") {
        std::unique_ptr<Optimizer> optimizer = savedOptimizer(model);
        exportKerasHdf5(model.graph, path, &model.training, optimizer.get());
    } else if (ext == ".onnx") {
        exportOnnx(model.graph, path);
    } else {
        throw IoError(path + ": unknown model format '" + ext +
                      "'; Loom writes .loom, .json (a file named model.json is written as a TF.js "
                      "layers model), Keras .h5 and .onnx");
    }
}

void ensureBuilt(ModelFile& model) {
    if (!model.graph.isBuilt()) {
        model.graph.build(model.training.seed);
    }
}

}  // namespace loom
