#pragma once
/// Keras model topologies (the JSON in a TF.js model.json's modelTopology.model_config or in a
/// Keras HDF5 file's model_config attribute) turned into Loom graphs, and Keras-layout weights
/// assigned to them. Keras 2.x / tf.keras class names and config keys; Sequential (a list of
/// layers or {"layers": [...]}) and functional ("Model"/"Functional", Keras 2 inbound_nodes).
///
/// Loom is channels-first. A channels_last model ([H, W, C] samples) is converted: shapes become
/// [C, H, W], channel axes become Loom's axis 1, HWIO conv kernels become OIHW, and the Dense
/// that reads a Flatten of an [H, W, C] tensor gets its kernel rows reordered from HWC to CHW, so
/// the imported graph computes the same function as the Keras model.

#include <loom/Graph.h>
#include <loom/Tensor.h>
#include <loom/TrainingConfig.h>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace loom {

/// A graph converted from a Keras topology, with what weight assignment needs to know about
/// the conversion.
struct KerasModel {
    Graph graph;
    /// True when the model's images were channels_last in Keras (the default).
    bool channelsLast = true;
    /// Dense layer name -> the Flatten whose [H, W, C] input it reads (channels_last only).
    std::map<std::string, std::string> denseAfterFlatten;

    // Filled by the file readers (KerasHdf5.h), not by kerasModelFromConfig:
    /// The optimizer and loss the model was compiled with, when the file says and Loom has them.
    std::optional<TrainingConfig> training;
    /// Optimizer slots by "layer/weight/slot" (Optimizer::restoreState's keys) and the step
    /// count, when the file's optimizer weights name their variables (tf.keras, Loom).
    std::map<std::string, Tensor> optimizerState;
    int64_t optimizerIterations = 0;
    /// What the file holds that the import left out (an unknown optimizer, say), for the user.
    std::vector<std::string> warnings;
};

/// Converts {"class_name": "Sequential"|"Model"|"Functional", "config": ...} into a Loom graph
/// (not yet built). Unsupported layers, activations or options throw IoError naming the layer
/// and its class.
KerasModel kerasModelFromConfig(const nlohmann::json& modelConfig);

/// Assigns one layer's weights, given in Keras' order and layout (Conv2D kernel HWIO then
/// bias; Dense kernel [in, units] then bias; BatchNormalization gamma if scale, beta if
/// center, moving_mean, moving_variance). The graph must be built. A wrong count or shape
/// throws IoError naming the layer and both shapes.
void assignKerasWeights(KerasModel& model, const std::string& layerName,
                        const std::vector<Tensor>& weights);

/// One weight (or an optimizer slot shaped like it) in Keras' layout -> Loom's, as
/// assignKerasWeights converts it; IoError when the layer has no such weight or the shape is
/// wrong. The graph must be built.
Tensor kerasToLoomLayout(const KerasModel& model, const std::string& layerName,
                         const std::string& parameterName, const Tensor& value);

}  // namespace loom
