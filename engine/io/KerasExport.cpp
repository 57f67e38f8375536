// Keras 2 HDF5 export, in the layout tf.keras' save_model writes and every legacy loader reads
// positionally: layer_names in the order Keras will list the rebuilt model's layers (by depth,
// as functional models order them), each layer's weights trainable first, optimizer weights
// as the step count then one slot kind at a time over all trainable weights.

#include <loom/Error.h>
#include <loom/KerasHdf5.h>
#include <loom/WeightsFile.h>

#include "io/Hdf5File.h"
#include "io/KerasExporter.h"
#include "io/KerasTraining.h"

namespace loom {
namespace {

using nlohmann::json;

void writeLayerWeights(h5::File& file, const KerasExporter& exporter) {
    const std::string group = "/model_weights";
    file.createGroup(group);
    std::vector<std::string> layerNames;
    for (const Layer* layer : exporter.modelLayers()) {
        layerNames.push_back(layer->name());
    }
    file.writeStringListAttribute(group, "layer_names", layerNames);
    file.writeStringAttribute(group, "backend", kKerasBackend);
    file.writeStringAttribute(group, "keras_version", kKerasVersion);
    for (const Layer* layer : exporter.modelLayers()) {
        const std::string& name = layer->name();
        const std::string path = h5::join(group, name);
        file.createGroup(path);
        std::vector<std::string> names;
        for (auto& [weight, value] : exporter.weights(*layer)) {
            names.push_back(name + "/" + weight + ":0");
            file.writeTensor(h5::join(path, names.back()), value);
        }
        if (names.empty()) {
            file.writeEmptyListAttribute(path, "weight_names");
        } else {
            file.writeStringListAttribute(path, "weight_names", names);
        }
    }
}

/// tf.keras' optimizer weights: "<Class>/iter:0", then for each slot kind every trainable
/// weight's slot ("<Class>/dense/kernel/m:0"), in model.trainable_weights order. Slots the
/// optimizer has not made yet are written as a fresh optimizer would start them.
void writeOptimizerWeights(h5::File& file, const KerasExporter& exporter,
                           const Optimizer& optimizer) {
    const std::string group = "/optimizer_weights";
    const std::string cls = kerasOptimizerClass(optimizer.type());
    const json params = optimizer.params().toJson();
    const std::map<std::string, Tensor> state = optimizer.stateTensors();
    file.createGroup(group);
    std::vector<std::string> names = {cls + "/iter:0"};
    file.writeInteger(h5::join(group, names.back()), optimizer.iterations());
    const double initial =
        optimizer.type() == "adagrad" ? params.value("initial_accumulator_value", 0.0) : 0.0;
    for (const KerasSlot& slot : kerasSlots(optimizer.type(), params)) {
        for (const Graph::Node* node : exporter.layers()) {
            const Layer& layer = *node->layer;
            for (const Parameter& p : layer.parameters()) {
                if (!p.trainable || !layer.trainable()) {
                    continue;
                }
                auto it = state.find(layer.name() + "/" + p.name + "/" + slot.loom);
                Tensor value =
                    it != state.end() ? it->second : Tensor::full(p.value.shape(), initial);
                names.push_back(cls + "/" + layer.name() + "/" + p.name + "/" + slot.keras + ":0");
                file.writeTensor(h5::join(group, names.back()),
                                 exporter.kerasLayout(layer, p.name, value));
            }
        }
    }
    file.writeStringListAttribute(group, "weight_names", names);
}

/// Keras has one learning rate per optimizer; Loom's per-layer factors (fine-tuning) go in an
/// attribute of Loom's own, which Keras ignores and Loom reads back.
json learningRateFactors(const Graph& graph) {
    json factors = json::object();
    for (const Graph::Node& node : graph.nodes()) {
        if (node.layer->learningRateFactor() != 1.0) {
            factors[node.layer->name()] = node.layer->learningRateFactor();
        }
    }
    return factors;
}

}  // namespace

void exportKerasHdf5(const Graph& graph, const std::string& path, const TrainingConfig* training,
                     const Optimizer* optimizer) {
    const KerasExporter exporter(graph);
    const json modelConfig = exporter.modelConfig();
    json trainingConfig;
    if (training != nullptr) {
        TrainingConfig live = *training;
        json params;
        if (optimizer != nullptr) {
            live.optimizer = optimizer->type();
            params = optimizer->params().toJson();
            params["learning_rate"] = optimizer->learningRate();
        }
        trainingConfig = kerasTrainingConfig(live, optimizer != nullptr ? &params : nullptr);
    }
    writeAtomically(path, [&](const std::string& temporary) {
        h5::File file = h5::File::create(temporary);
        file.writeStringAttribute("/", "keras_version", kKerasVersion);
        file.writeStringAttribute("/", "backend", kKerasBackend);
        file.writeStringAttribute("/", "model_config", modelConfig.dump());
        if (training != nullptr) {
            file.writeStringAttribute("/", "training_config", trainingConfig.dump());
        }
        if (const json factors = learningRateFactors(graph); !factors.empty()) {
            file.writeStringAttribute("/", kLearningRateFactorsAttribute, factors.dump());
        }
        writeLayerWeights(file, exporter);
        if (training != nullptr && optimizer != nullptr) {
            writeOptimizerWeights(file, exporter, *optimizer);
        }
        file.flush();
    });
}

}  // namespace loom
