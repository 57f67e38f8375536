// convert: between the model formats Loom reads and writes.

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/ModelFile.h"

#include <loom/Error.h>

#include <cstdio>

namespace loom::cli {

int runConvert(int argc, char** argv) {
    Arguments args(argc, argv, 2, {}, {kAllowNonFiniteWeights});
    if (args.positionals().size() != 2) {
        throw ConfigError("usage: loom-cli convert IN OUT (formats chosen by the file names)");
    }
    const std::string& in = args.positionals()[0];
    const std::string& out = args.positionals()[1];
    ModelFile model = readModelFile(in, args);
    if (!model.hasWeights) {
        std::printf("note: %s holds no trained weights; %s gets freshly initialised ones\n",
                    in.c_str(), out.c_str());
    }
    ensureBuilt(model);
    model.hasWeights = true;
    writeModelFile(model, out);
    std::printf("%s -> %s: %zu layers, %lld parameters\n", in.c_str(), out.c_str(),
                model.graph.nodes().size(), static_cast<long long>(model.graph.parameterCount()));
    return 0;
}

}  // namespace loom::cli
