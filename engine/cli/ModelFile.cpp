#include "cli/ModelFile.h"

#include <loom/ArtModel.h>
#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Idx.h>
#include <loom/WeightsFile.h>

#include <cstdio>
#include <filesystem>
#include <optional>

namespace loom::cli {

namespace {

NonFiniteWeights nonFiniteWeights(const Arguments& args) {
    return args.flag(kAllowNonFiniteWeights) ? NonFiniteWeights::Allow : NonFiniteWeights::Refuse;
}

std::string trainingData(const ModelFile& model, const Arguments& args) {
    return args.value("data", model.data.value("source", ""));
}

}  // namespace

ModelFile readModelFile(const std::string& path, const Arguments& args) {
    ModelFile model = loom::readModelFile(path, nonFiniteWeights(args));
    for (const std::string& warning : model.warnings) {
        std::fprintf(stderr, "note: %s\n", warning.c_str());
    }
    return model;
}

void prepareWeights(ModelFile& model, const Arguments& args, bool required,
                    const std::string& command) {
    ensureBuilt(model);
    if (const std::optional<std::string> weightsPath = args.value("weights")) {
        loadWeights(model.graph, *weightsPath, nonFiniteWeights(args));
        model.hasWeights = true;
    } else if (required && !model.hasWeights) {
        throw ConfigError(command +
                          " needs trained weights: pass --weights FILE (written by "
                          "loom-cli train --save), or a .loom project that holds them");
    }
}

Graph readNetwork(const std::string& nameOrPath, const Arguments& args) {
    if (!std::filesystem::exists(nameOrPath) && nameOrPath.find('/') == std::string::npos) {
        return loadPretrainedModel(nameOrPath);
    }
    ModelFile file = readModelFile(nameOrPath, args);
    ensureBuilt(file);
    if (!file.hasWeights) {
        std::fprintf(stderr, "note: %s holds no weights; its layers start random\n",
                     nameOrPath.c_str());
    }
    return std::move(file.graph);
}

SamplePreprocessing samplePreprocessing(const ModelFile& model, const Arguments& args) {
    const std::string data = trainingData(model, args);
    if (data.empty() && normalizesWithTrainingStatistics(model.data)) {
        throw ConfigError(
            "the model normalises with its training data's statistics (mean_std): pass that "
            "data with --data or give the model file's data section a \"source\"");
    }
    const Shape input = model.graph.node(model.graph.inputNames().at(0)).outputShape;
    return SamplePreprocessing::forModel(model.data, input,
                                         trainingNormalization(data, model.data, input));
}

std::vector<std::string> classNames(const ModelFile& model, const Arguments& args) {
    if (model.data.contains("class_names")) {
        return model.data["class_names"].get<std::vector<std::string>>();
    }
    const int64_t classes = model.graph.node(model.graph.outputNames().at(0)).outputShape.numel();
    if (trainingData(model, args).rfind("fashion-mnist", 0) == 0 && classes == 10) {
        return fashionMnistClassNames();
    }
    std::vector<std::string> names;
    for (int64_t c = 0; c < classes; ++c) {
        names.push_back(std::to_string(c));
    }
    return names;
}

}  // namespace loom::cli
