// Keras HDF5 import: whole-model files and weights-only files of every Keras version, read as
// Keras' own legacy loaders read them (load_attributes_from_hdf5_group,
// load_subset_weights_from_hdf5_group), but matching layers by name.

#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/KerasHdf5.h>

#include "io/Hdf5File.h"
#include "io/KerasExporter.h"
#include "io/KerasTraining.h"
#include "io/KerasWeights.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>

namespace loom {
namespace {

using nlohmann::json;

/// A string-list attribute, also in the chunked form (name0, name1, ...) Keras uses for lists
/// beyond 64 KiB. A missing attribute is an empty list, as Keras reads it.
std::vector<std::string> chunkedList(const h5::File& file, const std::string& path,
                                     const std::string& name) {
    if (file.hasAttribute(path, name)) {
        return file.stringListAttribute(path, name);
    }
    std::vector<std::string> all;
    for (int chunk = 0; file.hasAttribute(path, name + std::to_string(chunk)); ++chunk) {
        for (std::string& value : file.stringListAttribute(path, name + std::to_string(chunk))) {
            all.push_back(std::move(value));
        }
    }
    return all;
}

/// A root or group string attribute, looked up on the weights group first.
std::optional<std::string> fileAttribute(const h5::File& file, const std::string& group,
                                         const std::string& name) {
    for (const std::string& path : {group, std::string("/")}) {
        if (file.hasAttribute(path, name)) {
            return file.stringAttribute(path, name);
        }
    }
    return std::nullopt;
}

json attributeJson(const h5::File& file, const std::string& name) {
    return parseJson(file.stringAttribute("/", name), file.path() + ": the " + name + " attribute");
}

/// One layer group's weights, in weight_names order.
struct LayerWeights {
    std::string layer;
    std::vector<std::string> names;
    std::vector<Tensor> values;
};

/// Every layer of layer_names that has weights, plus the top-level group Keras 3 writes.
std::vector<LayerWeights> readLayerWeights(const h5::File& file, const std::string& group,
                                           KerasWeightReader& reader) {
    if (!file.hasAttribute(group, "layer_names") && !file.hasAttribute(group, "layer_names0")) {
        throw IoError(file.path() + ": '" + group +
                      "' has no layer_names attribute (not a Keras weights group)");
    }
    std::vector<std::string> layers = chunkedList(file, group, "layer_names");
    if (file.isGroup(h5::join(group, "top_level_model_weights"))) {
        layers.push_back("top_level_model_weights");
    }
    std::vector<LayerWeights> all;
    std::set<std::string> seen;
    for (const std::string& layer : layers) {
        const std::string path = h5::join(group, layer);
        if (!seen.insert(layer).second) {
            throw IoError(file.path() + ": layer_names lists '" + layer + "' twice");
        }
        if (!file.isGroup(path)) {
            throw IoError(file.path() + ": layer_names lists '" + layer +
                          "' but the file has no group '" + path + "'");
        }
        LayerWeights weights{layer, chunkedList(file, path, "weight_names"), {}};
        for (const std::string& name : weights.names) {
            weights.values.push_back(reader.read(h5::join(path, name)));
        }
        if (weights.values.empty()) {
            continue;
        }
        if (layer == "top_level_model_weights") {
            throw IoError(file.path() +
                          ": the model has weights of its own, outside its layers, which Loom "
                          "has no place for");
        }
        all.push_back(std::move(weights));
    }
    return all;
}

/// Keras 1 never wrote the backend. TensorFlow names every variable "name:0"; Theano's
/// shared variables have no such suffix.
bool isTheano(const h5::File& file, const std::string& group,
              const std::vector<LayerWeights>& layers) {
    if (std::optional<std::string> backend = fileAttribute(file, group, "backend")) {
        return *backend == "theano";
    }
    for (const LayerWeights& layer : layers) {
        for (const std::string& name : layer.names) {
            if (name.size() > 2 && name.compare(name.size() - 2, 2, ":0") == 0) {
                return false;
            }
        }
    }
    return !layers.empty();
}

KerasWeightOrigin originOf(const h5::File& file, const std::string& group,
                           const std::vector<LayerWeights>& layers) {
    KerasWeightOrigin origin;
    std::string version = fileAttribute(file, group, "keras_version").value_or("1");
    origin.keras1 = version.rfind('1', 0) == 0;
    origin.theano = isTheano(file, group, layers);
    return origin;
}

void assignAll(KerasModel& model, const KerasWeightOrigin& origin,
               std::vector<LayerWeights>& layers) {
    if (origin.theano) {
        checkTheanoPadding(model.graph);
    }
    std::set<std::string> assigned;
    for (LayerWeights& layer : layers) {
        if (!model.graph.contains(layer.layer)) {
            throw IoError("the file has weights for layer '" + layer.layer +
                          "', which the model does not have");
        }
        assignKerasLayerWeights(model, origin, layer.layer, std::move(layer.values));
        assigned.insert(layer.layer);
    }
    checkAllAssigned(model.graph, assigned);
}

/// Keras 3's save_weights file (.weights.h5) names nothing: each layer's variables sit at
/// layers/<snake_case class>[_n]/vars/i, numbered in the order Keras lists the model's layers,
/// which KerasExporter works out for the graph as it does for export.
void assignKeras3Weights(KerasModel& model, const h5::File& file, KerasWeightReader& reader) {
    const json config = KerasExporter(model.graph).modelConfig().at("config");
    std::set<std::string> assigned, claimedSlots;
    for (auto& [name, vars] :
         keras3VariablePaths(config.is_array() ? config : config.at("layers"))) {
        claimedSlots.insert(vars);
        std::vector<Tensor> values = readKeras3Variables(file, vars, reader);
        if (!values.empty()) {
            assignKerasLayerWeights(model, KerasWeightOrigin{}, name, std::move(values));
            assigned.insert(name);
        }
    }
    for (const std::string& slot : file.children("/layers")) {
        const std::string vars = "/layers/" + slot + "/vars";
        if (claimedSlots.count(vars) == 0 && file.isGroup(vars) && !file.children(vars).empty()) {
            throw IoError("the file has weights at " + vars +
                          ", a layer the model does not have (is it another model's file?)");
        }
    }
    checkAllAssigned(model.graph, assigned);
}

/// TensorFlow variable name (weight name without ":0") -> the Loom "layer/weight" it became.
std::map<std::string, std::string> variableNames(KerasModel& model,
                                                 const std::vector<LayerWeights>& layers) {
    std::map<std::string, std::string> variables;
    for (const LayerWeights& layer : layers) {
        std::vector<std::string> order = kerasWeightOrder(model.graph.layer(layer.layer));
        for (size_t i = 0; i < layer.names.size() && i < order.size(); ++i) {
            const std::string& name = layer.names[i];
            if (name.ends_with(":0")) {
                variables[name.substr(0, name.size() - 2)] = layer.layer + "/" + order[i];
            }
        }
    }
    return variables;
}

/// tf.keras optimizer weights ("Adam/iter:0", then "Adam/<variable>/<slot>:0") -> Loom
/// optimizer state. Names in another form (Keras 1's param_0, Keras 2's
/// training/Adam/Variable:0, Keras 3's paths) cannot be matched to parameters, so the state is
/// left out with a warning.
void readOptimizerState(const h5::File& file, KerasModel& model,
                        const std::vector<LayerWeights>& layers, KerasWeightReader& reader) {
    const std::string group = "/optimizer_weights";
    if (!model.training || !file.isGroup(group)) {
        return;
    }
    const std::vector<KerasSlot> slots =
        kerasSlots(model.training->optimizer, model.training->optimizerParams);
    const std::map<std::string, std::string> variables = variableNames(model, layers);
    std::map<std::string, Tensor> state;
    int64_t iterations = 0;
    for (const std::string& name : chunkedList(file, group, "weight_names")) {
        const std::string path = h5::join(group, name);
        if (name.ends_with("/iter:0") || name.ends_with("/iterations:0")) {
            Tensor count = reader.read(path);
            double value = count.numel() == 1 ? count.at(0) : -1.0;
            if (!(value >= 0.0 && value < 1e15) || value != std::floor(value)) {
                throw IoError(file.path() + ": '" + path + "' is not a step count");
            }
            iterations = static_cast<int64_t>(value);
            continue;
        }
        // "<Optimizer>/<variable>/<slot>:0"
        const size_t first = name.find('/'), last = name.rfind('/');
        const std::string variable =
            first < last ? name.substr(first + 1, last - first - 1) : std::string();
        const std::string kerasSlot = name.ends_with(":0") && last != std::string::npos
                                          ? name.substr(last + 1, name.size() - last - 3)
                                          : std::string();
        auto slot = std::find_if(slots.begin(), slots.end(),
                                 [&](const KerasSlot& s) { return s.keras == kerasSlot; });
        auto parameter = variables.find(variable);
        if (slot == slots.end() || parameter == variables.end()) {
            model.warnings.push_back("the optimizer state was left out: '" + name +
                                     "' does not name a weight and slot as tf.keras does");
            return;
        }
        const std::string& loomName = parameter->second;
        const size_t slash = loomName.rfind('/');
        try {
            state[loomName + "/" + slot->loom] = kerasToLoomLayout(
                model, loomName.substr(0, slash), loomName.substr(slash + 1), reader.read(path));
        } catch (const IoError& e) {
            model.warnings.push_back(std::string("the optimizer state was left out: ") + e.what());
            return;
        }
    }
    for (auto& [name, p] : model.graph.parameters()) {
        const bool updated =
            p->trainable && model.graph.layer(name.substr(0, name.rfind('/'))).trainable();
        for (const KerasSlot& slot : slots) {
            if (updated && iterations > 0 && state.count(name + "/" + slot.loom) == 0) {
                model.warnings.push_back("the optimizer state was left out: it has no '" +
                                         slot.keras + "' slot for " + name);
                return;
            }
        }
    }
    model.optimizerState = std::move(state);
    model.optimizerIterations = iterations;
}

/// Every parameter's value, to put back when loading into a user's graph fails half way.
std::vector<Tensor> snapshot(Graph& graph) {
    std::vector<Tensor> values;
    for (auto& [name, p] : graph.parameters()) {
        values.push_back(p->value.clone());
    }
    return values;
}

void restore(Graph& graph, const std::vector<Tensor>& values) {
    size_t i = 0;
    for (auto& [name, p] : graph.parameters()) {
        p->value.copyFrom(values[i++]);
    }
}

void readLearningRateFactors(const h5::File& file, KerasModel& model) {
    if (!file.hasAttribute("/", kLearningRateFactorsAttribute)) {
        return;
    }
    const json factors = attributeJson(file, kLearningRateFactorsAttribute);
    for (const auto& [layer, factor] : factors.items()) {
        if (!factor.is_number() || factor.get<double>() < 0 || factor.get<double>() > 1e6) {
            throw IoError(std::string(kLearningRateFactorsAttribute) + ": '" + layer +
                          "' must have a learning-rate factor from 0 to 1e6");
        }
        if (model.graph.contains(layer)) {
            model.graph.layer(layer).setLearningRateFactor(factor.get<double>());
        } else {
            model.warnings.push_back("the learning-rate factor of '" + layer +
                                     "', a layer the model does not have, was left out");
        }
    }
}

}  // namespace

KerasModel loadKerasHdf5(const std::string& path) {
    return withFileName(path, [&] {
        h5::File file = h5::File::openForReading(path);
        if (!file.hasAttribute("/", "model_config")) {
            throw IoError(path +
                          ": has no model_config, so it holds weights only (save_weights); "
                          "load them into a model built for them");
        }
        KerasModel model = kerasModelFromConfig(attributeJson(file, "model_config"));
        const std::string group = "/model_weights";
        if (!file.isGroup(group)) {
            throw IoError(path + ": the model's weights group '/model_weights' is missing");
        }
        KerasWeightReader reader(file);
        std::vector<LayerWeights> layers = readLayerWeights(file, group, reader);
        buildKerasGraph(model, reader.elementsRead());
        assignAll(model, originOf(file, group, layers), layers);
        if (file.hasAttribute("/", "training_config")) {
            model.training =
                trainingFromKeras(attributeJson(file, "training_config"), model.warnings);
        }
        readOptimizerState(file, model, layers, reader);
        readLearningRateFactors(file, model);
        return model;
    });
}

void loadKerasWeightsInto(Graph& graph, const std::string& path, bool channelsLast) {
    if (!graph.isBuilt()) {
        graph.build();
    }
    std::vector<Tensor> before = snapshot(graph);
    KerasModel model;
    model.graph = std::move(graph);
    model.channelsLast = channelsLast;
    try {
        withFileName(path, [&] {
            h5::File file = h5::File::openForReading(path);
            // Keras' load_weights reads a whole-model file's /model_weights too.
            const bool weightsOnly =
                file.hasAttribute("/", "layer_names") || file.hasAttribute("/", "layer_names0");
            const std::string group = weightsOnly ? "/" : "/model_weights";
            if (channelsLast) {
                model.denseAfterFlatten = denseLayersAfterFlatten(model.graph);
            }
            KerasWeightReader reader(file);
            if (!weightsOnly && !file.exists("/model_weights") && file.isGroup("/layers")) {
                assignKeras3Weights(model, file, reader);
                return 0;
            }
            std::vector<LayerWeights> layers = readLayerWeights(file, group, reader);
            assignAll(model, originOf(file, group, layers), layers);
            return 0;
        });
    } catch (...) {
        graph = std::move(model.graph);
        restore(graph, before);
        throw;
    }
    graph = std::move(model.graph);
}

}  // namespace loom
