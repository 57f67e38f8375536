#include "cli/ModelFile.h"

#include <loom/Error.h>
#include <loom/WeightsFile.h>

#include <cstdio>
#include <optional>

namespace loom::cli {

namespace {

NonFiniteWeights nonFiniteWeights(const Arguments& args) {
    return args.flag(kAllowNonFiniteWeights) ? NonFiniteWeights::Allow : NonFiniteWeights::Refuse;
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

}  // namespace loom::cli
