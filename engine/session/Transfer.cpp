#include <loom/ArtModel.h>
#include <loom/Error.h>
#include <loom/Transfer.h>

#include <algorithm>

namespace loom {

namespace {

constexpr const char* kHeadLayers[] = {"features_pool", "head_dropout", "predictions"};

bool isHeadLayer(const std::string& name) {
    return std::find(std::begin(kHeadLayers), std::end(kHeadLayers), name) != std::end(kHeadLayers);
}

// In the order the graph runs.
std::vector<std::string> layerNames(const Graph& graph) {
    std::vector<std::string> names;
    for (size_t index : graph.order()) {
        names.push_back(graph.nodes()[index].layer->name());
    }
    return names;
}

const std::string& onlyInput(const Graph& base) {
    if (base.inputNames().size() != 1) {
        throw GraphError("a pretrained base must have one input, and '" + base.name() + "' has " +
                         std::to_string(base.inputNames().size()));
    }
    return base.inputNames().front();
}

Shape pictureOf(const Graph& base, int64_t height, int64_t width) {
    const Shape own = base.node(onlyInput(base)).outputShape;
    if (own.rank() != 3) {
        throw ShapeError("a pretrained base must take pictures [C, H, W], and '" + base.name() +
                         "' takes " + own.str());
    }
    return Shape{own[0], height > 0 ? height : own[1], width > 0 ? width : own[2]};
}

}  // namespace

std::string defaultCutLayer(const Graph& base) {
    for (auto it = base.order().rbegin(); it != base.order().rend(); ++it) {
        const Graph::Node& node = base.nodes()[*it];
        const Shape& maps = node.outputShape;
        if (maps.rank() == 3 && maps[1] * maps[2] > 1 && node.layer->type() != "Input") {
            return node.layer->name();
        }
    }
    throw GraphError("'" + base.name() + "' has no layer with feature maps to build on");
}

int64_t smallestInputSide(const Graph& base, const std::string& cutAt) {
    const Shape own = pictureOf(base, 0, 0);
    for (int64_t side = 8; side <= std::max(own[1], own[2]); ++side) {
        try {
            const Graph part =
                base.subgraph({cutAt}, {{onlyInput(base), Shape{own[0], side, side}}});
            if (part.node(cutAt).outputShape.numel() > 0) {
                return side;
            }
        } catch (const ShapeError&) {
        }
    }
    throw ShapeError("'" + base.name() + "' up to '" + cutAt + "' takes no smaller picture");
}

Graph transferModel(const Graph& base, const TransferOptions& options, uint64_t seed) {
    if (options.classes < 2) {
        throw ConfigError("a classifier needs at least 2 classes, not " +
                          std::to_string(options.classes));
    }
    if (options.dropout < 0 || options.dropout >= 1) {
        throw ConfigError("the head's dropout must be in [0, 1)");
    }
    const std::string cut = options.cutAt.empty() ? defaultCutLayer(base) : options.cutAt;
    const std::string& input = onlyInput(base);
    Graph model =
        base.subgraph({cut}, {{input, pictureOf(base, options.height, options.width)}}).copy();
    const std::string group = options.group.empty() ? "base" : options.group;
    double bottom = 0;
    for (const Graph::Node& node : model.nodes()) {
        bottom = std::max(bottom, node.y);
    }
    for (const std::string& name : layerNames(model)) {
        Graph::Node& node = model.node(name);
        node.layer->setTrainable(false);
        node.group = group;
    }
    model.add("GlobalAveragePool2D", kHeadLayers[0], nlohmann::json::object(), {cut});
    model.add("Dropout", kHeadLayers[1], {{"rate", options.dropout}}, {kHeadLayers[0]});
    model.add("Dense", kHeadLayers[2], {{"units", options.classes}, {"activation", "softmax"}},
              {kHeadLayers[1]});
    for (int i = 0; i < 3; ++i) {
        Graph::Node& node = model.node(kHeadLayers[i]);
        node.x = 0;
        node.y = bottom + 120.0 * (i + 1);
    }
    model.setOutputs({kHeadLayers[2]});
    model.setName(base.name() + "_transfer");
    model.build(seed);
    return model;
}

Project transferProject(const Graph& base, const TransferOptions& options,
                        const nlohmann::json& data) {
    Project project;
    project.graph = transferModel(base, options);
    project.hasWeights = true;
    project.training = TrainingConfig::fromJson(
        {{"optimizer", {{"type", "adam"}, {"params", {{"learning_rate", 0.001}}}}},
         {"loss", "categorical_crossentropy"},
         {"batch_size", 32},
         {"epochs", 5}});
    project.data = data;
    return project;
}

Graph transferModelFromSection(const nlohmann::json& section, uint64_t seed) {
    const char* usage =
        "a \"transfer\" section is {\"base\": NAME, \"classes\": N, \"cut\": LAYER, "
        "\"size\": N or [H, W], \"dropout\": X}";
    if (!section.is_object() || !section.contains("base") || !section.contains("classes")) {
        throw ConfigError(std::string(usage) + "; base and classes are required");
    }
    for (const auto& [key, value] : section.items()) {
        if (key != "base" && key != "classes" && key != "cut" && key != "size" &&
            key != "dropout") {
            throw ConfigError("unknown key '" + key + "' in the transfer section; " + usage);
        }
    }
    try {
        TransferOptions options;
        options.group = section["base"].get<std::string>();
        options.classes = section["classes"].get<int64_t>();
        options.cutAt = section.value("cut", "");
        options.dropout = section.value("dropout", options.dropout);
        if (section.contains("size")) {
            const nlohmann::json& size = section["size"];
            options.height = size.is_array() ? size.at(0).get<int64_t>() : size.get<int64_t>();
            options.width = size.is_array() ? size.at(1).get<int64_t>() : options.height;
        }
        return transferModel(loadPretrainedModel(options.group), options, seed);
    } catch (const nlohmann::json::exception&) {
        throw ConfigError(usage);
    }
}

bool staysFrozenWhenFineTuned(const Layer& layer) {
    const std::vector<Parameter>& parameters = layer.parameters();
    return std::any_of(parameters.begin(), parameters.end(),
                       [](const Parameter& p) { return !p.trainable; });
}

void unfreezeFrom(Graph& graph, const std::string& layer, double learningRateFactor) {
    if (!graph.contains(layer)) {
        throw GraphError("no layer named '" + layer + "' to fine-tune from");
    }
    if (learningRateFactor < 0) {
        throw ConfigError("the fine-tuning learning-rate factor must be 0 or more");
    }
    bool reached = false;
    for (const std::string& name : layerNames(graph)) {
        reached = reached || name == layer;
        if (!isHeadLayer(name)) {
            Layer& unfrozen = graph.layer(name);
            const bool trains = reached && !staysFrozenWhenFineTuned(unfrozen);
            unfrozen.setTrainable(trains);
            unfrozen.setLearningRateFactor(trains ? learningRateFactor : 1.0);
        }
    }
}

}  // namespace loom
