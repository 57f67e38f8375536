// transfer and fine-tune: a new classifier on a pretrained network's features, and unfreezing
// its base from a layer on.

#include "cli/Arguments.h"
#include "cli/Commands.h"
#include "cli/ModelFile.h"

#include <loom/DataSource.h>
#include <loom/Error.h>
#include <loom/Transfer.h>

#include <cstdio>

namespace loom::cli {

namespace {

/// "96" or "96x128" as height and width.
std::pair<int64_t, int64_t> pictureSize(const std::string& text) {
    const size_t x = text.find('x');
    try {
        const int64_t height = std::stoll(text.substr(0, x));
        const int64_t width = x == std::string::npos ? height : std::stoll(text.substr(x + 1));
        if (height > 0 && width > 0) {
            return {height, width};
        }
    } catch (const std::exception&) {
    }
    throw ConfigError("--size takes N or HxW in pixels, not '" + text + "'");
}

std::string projectOut(const Arguments& args) {
    const std::string out = args.value("out", "");
    if (out.size() < 6 || out.compare(out.size() - 5, 5, ".loom") != 0) {
        throw ConfigError(
            "pass --out NAME.loom: a project holds the base's weights with the model");
    }
    return out;
}

void printTrainable(const Graph& graph, const std::string& out) {
    std::printf("%s: %zu layers, %lld parameters, %lld of them trainable\n", out.c_str(),
                graph.nodes().size(), static_cast<long long>(graph.parameterCount()),
                static_cast<long long>(graph.trainableParameterCount()));
}

}  // namespace

int runTransfer(int argc, char** argv) {
    Arguments args(argc, argv, 2, {"data", "classes", "cut", "size", "dropout", "out"},
                   {kAllowNonFiniteWeights});
    if (args.positionals().size() != 1) {
        throw ConfigError(
            "usage: loom-cli transfer BASE --data SPEC|--classes N --out NEW.loom [--cut LAYER] "
            "[--size N|HxW] [--dropout X]");
    }
    const std::string out = projectOut(args);
    const Graph base = readNetwork(args.positionals()[0], args);
    TransferOptions options;
    options.cutAt = args.value("cut", defaultCutLayer(base));
    options.group = args.positionals()[0];
    options.dropout = args.number("dropout").value_or(options.dropout);
    if (auto size = args.value("size")) {
        std::tie(options.height, options.width) = pictureSize(*size);
    }
    nlohmann::json data = defaultDataSection();
    if (auto spec = args.value("data")) {
        data["source"] = *spec;
        options.classes = loadData(*spec, data, Shape{}).train.classCount();
        std::printf("%s: %lld classes\n", spec->c_str(), static_cast<long long>(options.classes));
    }
    options.classes = args.integer("classes").value_or(options.classes);
    const Project project = transferProject(base, options, data);
    writeModelFile(project, out);
    std::printf(
        "%s up to '%s' (frozen) + GlobalAveragePool2D, Dropout %.2g, Dense %lld softmax; "
        "input %s (the base takes %lld pixels a side at the least)\n",
        args.positionals()[0].c_str(), options.cutAt.c_str(), options.dropout,
        static_cast<long long>(options.classes),
        project.graph.node(project.graph.inputNames()[0]).outputShape.str().c_str(),
        static_cast<long long>(smallestInputSide(base, options.cutAt)));
    printTrainable(project.graph, out);
    return 0;
}

int runFineTune(int argc, char** argv) {
    Arguments args(argc, argv, 2, {"from", "factor", "out"}, {});
    if (args.positionals().size() != 1 || !args.value("from")) {
        throw ConfigError(
            "usage: loom-cli fine-tune PROJECT.loom --from LAYER [--factor X] [--out NEW.loom]");
    }
    ModelFile project = readModelFile(args.positionals()[0], args);
    ensureBuilt(project);
    unfreezeFrom(project.graph, *args.value("from"), args.number("factor").value_or(0.1));
    const std::string out = args.value("out", args.positionals()[0]);
    writeModelFile(project, out);
    printTrainable(project.graph, out);
    return 0;
}

}  // namespace loom::cli
