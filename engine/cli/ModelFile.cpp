#include "cli/ModelFile.h"

#include <loom/Error.h>
#include <loom/WeightsFile.h>

#include <cstdio>

namespace loom::cli {

ModelFile readModelFile(const std::string& path) {
    ModelFile model = loom::readModelFile(path);
    for (const std::string& warning : model.warnings) {
        std::fprintf(stderr, "note: %s\n", warning.c_str());
    }
    return model;
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
