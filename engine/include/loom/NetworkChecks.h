#pragma once
/// NetworkChecks: warnings about a network that is valid but will not learn what the person
/// wants: a classification loss on an output without softmax (the loss falls, accuracy stays at
/// chance), an output with more or fewer units than the data have classes, an input the data's
/// samples cannot be reshaped to, or training that will not fit in the device's memory. Each
/// warning says, in the window's words, what is wrong and where to change it; most come with a
/// fix as data, so that the window applies it as one undoable edit and the CLI can print it.
///
/// The checks read shapes only: they take a validated graph (Graph::validate fills each node's
/// output shape), never build it, and run in microseconds on networks of any size.

#include <loom/DataSource.h>
#include <loom/Graph.h>
#include <loom/Shape.h>
#include <loom/TrainingConfig.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace loom {

/// What the checks need to know about the data a network trains on.
struct DataFacts {
    bool classification = false;
    int64_t classCount = 0;  ///< 0 for regression
    /// One sample as loaded, before any reshape to the model's input; rank 0 when unknown.
    Shape sampleShape;
    /// Image folders are decoded at the size of a (channels, height, width) model input, so
    /// their loaded shape says nothing about whether they fit such an input.
    bool imagesFollowInput = false;
};

/// The facts of loaded data; `section` is the data section it was loaded with (its source
/// says whether the samples are images decoded at the model's size).
DataFacts dataFactsOf(const LoadedData& data, const nlohmann::json& section);

/// The memory free on the device training will use.
struct DeviceMemory {
    std::string device;  ///< for messages: "the CPU", "cuda:0 (NVIDIA H200)"
    uint64_t freeBytes = 0;
};

/// The free memory of the device a TrainingConfig's device setting names: a GPU's free memory,
/// or for the CPU the memory the system can still give (MemAvailable, which counts caches it
/// can drop). Empty when the setting names no usable device or the amount is unknown.
std::optional<DeviceMemory> freeMemoryFor(const std::string& deviceSetting);

/// A fix: set one parameter of one layer (NetworkModel::setParameter applies it)...
struct SetLayerParameter {
    std::string layer;
    std::string parameter;
    nlohmann::json value;
    bool operator==(const SetLayerParameter&) const = default;
};

/// ...or set the training loss (a Keras name, as TrainingConfig::loss holds it).
struct SetTrainingLoss {
    std::string loss;
    bool operator==(const SetTrainingLoss&) const = default;
};

using NetworkFix = std::variant<SetLayerParameter, SetTrainingLoss>;

/// What the fix does, for a button's tooltip: "Set the activation of 'dense' to softmax".
std::string describeFix(const NetworkFix& fix);

/// Applies a fix to a graph and its training settings, as the window's undoable edits do;
/// the graph must be validated again afterwards. Throws ConfigError for a value the layer
/// refuses and GraphError for a layer the graph does not have.
void applyFix(const NetworkFix& fix, Graph& graph, TrainingConfig& training);

struct NetworkWarning {
    std::string layer;  ///< the layer to look at; empty for the network as a whole
    std::string message;
    std::optional<NetworkFix> fix;
};

/// What the checks take besides the graph. Whatever is unknown is left out, and the checks
/// that need it are skipped.
struct NetworkCheckInputs {
    TrainingConfig training;
    std::optional<DataFacts> data;
    /// Weight elements per layer (the canvas's analysis counts them); a layer missing here
    /// counts as having none.
    std::map<std::string, int64_t> parameterCounts;
    std::optional<DeviceMemory> memory;
};

/// Every warning for a validated graph, in the order: output activation and loss, output
/// units, input shape, memory. Invalid layers are left to the graph's own diagnostics.
std::vector<NetworkWarning> checkNetwork(const Graph& graph, const NetworkCheckInputs& inputs);

/// What one training step holds in memory, in bytes of float32, estimated from shapes.
struct TrainingMemory {
    uint64_t weights = 0;      ///< parameters, their gradients and the optimizer's slots
    uint64_t activations = 0;  ///< every layer's output at the batch size, and its gradient
    std::string largestLayer;  ///< the layer that holds the most of the two
    uint64_t largestLayerBytes = 0;

    uint64_t total() const { return weights + activations; }
};

TrainingMemory estimateTrainingMemory(const Graph& graph, const TrainingConfig& training,
                                      const std::map<std::string, int64_t>& parameterCounts);

/// For a validated graph, from shapes alone (nothing is allocated): a message saying what
/// training needs and what the device the settings name has free, when it will not fit; empty
/// when it fits or the free memory is unknown. loom-cli's train refuses such a model, and its
/// summary marks it.
std::optional<std::string> trainingMemoryShortfall(const Graph& graph,
                                                   const TrainingConfig& training);

}  // namespace loom
