// The checks read shapes, activations, the loss's declaration and the optimizer's state; the
// messages speak to a person in the window, naming the layer, the setting and where it is.

#include <loom/DataSource.h>
#include <loom/Devices.h>
#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/LayerCosts.h>
#include <loom/Loss.h>
#include <loom/NetworkChecks.h>
#include <loom/Optimizer.h>
#include <loom/Platform.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <set>

namespace loom {

namespace {

constexpr uint64_t kBytesPerFloat = 4;
const char* const kTrainingSettings = "the training settings (Properties, with no layer selected)";

std::string quoted(const std::string& name) {
    return "'" + name + "'";
}

/// "categorical cross-entropy" for categorical_crossentropy.
std::string lossInWords(const std::string& type) {
    std::string words = type;
    std::replace(words.begin(), words.end(), '_', ' ');
    const std::string joined = "crossentropy";
    if (const size_t at = words.find(joined); at != std::string::npos) {
        words.replace(at, joined.size(), "cross-entropy");
    }
    return words;
}

std::string bytesInWords(uint64_t bytes) {
    const double value = static_cast<double>(bytes);
    char text[32];
    if (value >= double(1ull << 30)) {
        std::snprintf(text, sizeof text, "%.1f GiB", value / double(1ull << 30));
    } else if (value >= double(1ull << 20)) {
        std::snprintf(text, sizeof text, "%.0f MiB", value / double(1ull << 20));
    } else {
        std::snprintf(text, sizeof text, "%.0f KiB", value / 1024.0);
    }
    return text;
}

std::string valueInWords(const nlohmann::json& value) {
    return value.is_string() ? value.get<std::string>() : jsonExcerpt(value);
}

/// The layers the model outputs: those the graph's file named, else every layer nobody
/// consumes. validate() does not resolve outputNames() (only build() does), so this reads the
/// graph itself, as the canvas does.
std::vector<std::string> outputLayers(const Graph& graph) {
    std::vector<std::string> named = graph.toJson().value("outputs", std::vector<std::string>{});
    if (!named.empty()) {
        return named;
    }
    std::set<std::string> consumed;
    for (const Graph::Node& node : graph.nodes()) {
        consumed.insert(node.inputs.begin(), node.inputs.end());
    }
    std::vector<std::string> outputs;
    for (const Graph::Node& node : graph.nodes()) {
        if (consumed.count(node.layer->name()) == 0) {
            outputs.push_back(node.layer->name());
        }
    }
    return outputs;
}

std::vector<std::string> inputLayers(const Graph& graph) {
    std::vector<std::string> inputs;
    for (const Graph::Node& node : graph.nodes()) {
        if (node.layer->kind().minInputs == 0) {
            inputs.push_back(node.layer->name());
        }
    }
    return inputs;
}

/// The one valid layer of these, or nullptr: training needs exactly one input and one output.
const Graph::Node* soleValidNode(const Graph& graph, const std::vector<std::string>& names) {
    if (names.size() != 1 || !graph.contains(names[0])) {
        return nullptr;
    }
    const Graph::Node& node = graph.node(names[0]);
    return node.valid ? &node : nullptr;
}

std::unique_ptr<Loss> lossOf(const TrainingConfig& training) {
    try {
        return makeLoss(training.loss);
    } catch (const Error&) {
        return nullptr;  // a loss Loom lacks: training says so when it starts
    }
}

std::optional<NetworkFix> activationFix(const Layer& layer, ActivationKind activation) {
    if (!layer.params().has("activation")) {
        return std::nullopt;
    }
    return SetLayerParameter{layer.name(), "activation", activationName(activation)};
}

/// Why an output ending in `given` does not suit a loss that expects `expected`.
std::string probabilityOutputMessage(const Layer& output, ActivationKind given,
                                     ActivationKind expected, const Loss& loss) {
    const std::string layer = "The output layer " + quoted(output.name());
    const std::string wanted = activationName(expected);
    const std::string lossName = " (" + lossInWords(loss.type()) + ")";
    if (given == ActivationKind::Sigmoid) {
        return layer + " ends in sigmoid, but the loss" + lossName +
               " expects softmax, one probability for each class that together sum to 1: with "
               "sigmoid every output climbs towards 1 and accuracy stays at chance. Set the "
               "layer's activation to softmax.";
    }
    if (!output.params().has("activation")) {
        return layer + " (" + output.type() + ") has no activation of its own, but the loss" +
               lossName + " expects probabilities: add an Activation layer set to " + wanted +
               " after it.";
    }
    const std::string ending =
        given == ActivationKind::Linear
            ? " has no " + wanted
            : " ends in " + std::string(activationName(given)) + ", not " + wanted;
    return layer + ending + ", but the loss" + lossName +
           " expects probabilities: the loss falls while accuracy stays at chance. Set the "
           "layer's activation to " +
           wanted + ".";
}

/// A loss that expects probabilities (it fuses with softmax or sigmoid) on an output that gives
/// none, or sigmoid where the loss expects softmax. Softmax for binary cross-entropy is left
/// alone: two softmax units are a valid way to say yes or no.
std::optional<NetworkWarning> probabilityOutputWarning(const Layer& output, const Loss& loss) {
    const ActivationKind expected = loss.fusedActivation();
    const ActivationKind given = output.activation();
    if (expected == ActivationKind::Linear || given == expected ||
        given == ActivationKind::Softmax) {
        return std::nullopt;
    }
    return NetworkWarning{output.name(), probabilityOutputMessage(output, given, expected, loss),
                          activationFix(output, expected)};
}

/// Softmax gives class probabilities; mean squared error on them learns slowly and stalls.
/// Data known to be regression is left alone.
std::optional<NetworkWarning> softmaxWithSquaredErrorWarning(const Layer& output, const Loss& loss,
                                                             const std::optional<DataFacts>& data) {
    if (output.activation() != ActivationKind::Softmax || loss.type() != "mean_squared_error" ||
        (data && !data->classification)) {
        return std::nullopt;
    }
    const std::string better = "categorical_crossentropy";
    return NetworkWarning{
        output.name(),
        "The output layer " + quoted(output.name()) +
            " ends in softmax, a probability for each class, but the loss is mean squared "
            "error, which is for predicting numbers: on class labels it learns slowly and "
            "stalls. Change the loss to " +
            lossInWords(better) + " in " + kTrainingSettings + ".",
        SetTrainingLoss{better}};
}

/// The Dense layer that decides how many values the output gives: the output itself, or the
/// Dense before layers that keep its shape (an Activation, a Dropout); nullptr when none does.
const Layer* unitsLayer(const Graph& graph, const Graph::Node& output) {
    const Graph::Node* node = &output;
    while (node->layer->type() != "Dense") {
        if (node->inputs.size() != 1) {
            return nullptr;
        }
        const Graph::Node& input = graph.node(node->inputs[0]);
        if (!input.valid || input.outputShape != node->outputShape) {
            return nullptr;
        }
        node = &input;
    }
    return node->layer.get();
}

/// One output unit per class, or a single unit for two classes (the Trainer's own rule).
std::optional<NetworkWarning> classCountWarning(const Graph& graph, const Graph::Node& output,
                                                const DataFacts& data) {
    const int64_t units = output.outputShape.numel();
    if (!data.classification || units == data.classCount || (units == 1 && data.classCount == 2)) {
        return std::nullopt;
    }
    const std::string classes = std::to_string(data.classCount);
    const std::string mismatch = "The network's output (layer " + quoted(output.layer->name()) +
                                 ") has " + std::to_string(units) +
                                 (output.layer->type() == "Dense" ? " units" : " values") +
                                 ", but the data in the Data tab have " + classes +
                                 " classes: it needs one output unit for each class.";
    const Layer* dense = unitsLayer(graph, output);
    if (dense == nullptr) {
        return NetworkWarning{
            output.layer->name(),
            mismatch + " End the network in a Dense layer with " + classes + " units.",
            std::nullopt};
    }
    return NetworkWarning{
        dense->name(),
        mismatch + " Set the units of " + quoted(dense->name()) + " to " + classes + ".",
        SetLayerParameter{dense->name(), "units", data.classCount}};
}

/// The data are reshaped to the input when only the layout differs (28x28 images for a
/// 784-input MLP); a different number of values cannot be.
std::optional<NetworkWarning> sampleShapeWarning(const Graph& graph, const DataFacts& data) {
    const Graph::Node* input = soleValidNode(graph, inputLayers(graph));
    if (input == nullptr || data.sampleShape.rank() == 0) {
        return std::nullopt;
    }
    const Shape& expected = input->outputShape;
    if (expected.numel() == data.sampleShape.numel() ||
        (data.imagesFollowInput && expected.rank() == 3) ||
        isPictureResize(data.sampleShape, expected)) {
        return std::nullopt;
    }
    const std::string name = input->layer->name();
    return NetworkWarning{
        name,
        "The input layer " + quoted(name) + " takes samples of shape " + expected.str() + " (" +
            std::to_string(expected.numel()) +
            " values), but the samples of the data in the Data tab have shape " +
            data.sampleShape.str() + " (" + std::to_string(data.sampleShape.numel()) +
            " values): they cannot be reshaped to fit. Set the input's shape to " +
            data.sampleShape.str() + " and adapt the layers after it, or choose other data.",
        std::nullopt};
}

/// What training needs against what the device has free, when it does not fit; `where` says
/// where the batch size is set.
std::optional<std::string> memoryShortfall(const Graph& graph, const TrainingConfig& training,
                                           const std::map<std::string, int64_t>& parameterCounts,
                                           const std::optional<DeviceMemory>& memory,
                                           const std::string& where) {
    if (!memory || memory->freeBytes == 0) {
        return std::nullopt;
    }
    const TrainingMemory need = estimateTrainingMemory(graph, training, parameterCounts);
    if (need.total() <= memory->freeBytes) {
        return std::nullopt;
    }
    return "Training needs about " + bytesInWords(need.total()) + " at batch size " +
           std::to_string(training.batchSize) + " (" + bytesInWords(need.weights) +
           " for the weights, their gradients and the optimizer's state; " +
           bytesInWords(need.activations) + " for the layers' outputs and their gradients), but " +
           memory->device + " has " + bytesInWords(memory->freeBytes) +
           " free. The largest part is layer " + quoted(need.largestLayer) + " (" +
           bytesInWords(need.largestLayerBytes) + "). Lower the batch size" + where +
           ", or make the largest layers smaller.";
}

std::optional<NetworkWarning> memoryWarning(const Graph& graph, const NetworkCheckInputs& inputs) {
    const std::optional<std::string> shortfall =
        memoryShortfall(graph, inputs.training, inputs.parameterCounts, inputs.memory,
                        std::string(" in ") + kTrainingSettings);
    if (!shortfall) {
        return std::nullopt;
    }
    return NetworkWarning{"", *shortfall, std::nullopt};
}

/// The optimizer knows its own state: one step on a one-element parameter shows how many
/// slots (momentum, velocity, ...) it keeps for each weight.
uint64_t optimizerSlotsPerWeight(const TrainingConfig& training) {
    try {
        std::unique_ptr<Optimizer> optimizer =
            makeOptimizer(training.optimizer, training.optimizerParams);
        Parameter probe{"probe", Tensor::zeros(Shape{1}), Tensor::zeros(Shape{1}), true};
        optimizer->step(backendFor(Device::cpu()), {{"probe", &probe}});
        return optimizer->stateTensors().size();
    } catch (const Error&) {
        return 0;  // an optimizer Loom lacks: training says so when it starts
    }
}

/// How many tensors of its output's size a layer holds in a training step: the output and its
/// gradient, and with an activation the pre-activation beside them with its own gradient. No
/// gradient flows back into the data, so an input holds only the batch.
uint64_t outputCopiesOf(const Layer& layer) {
    if (layer.kind().minInputs == 0) {
        return 1;
    }
    return layer.activation() == ActivationKind::Linear ? 2 : 4;
}

}  // namespace

DataFacts dataFactsOf(const LoadedData& data, const nlohmann::json& section) {
    DataFacts facts;
    facts.classification = data.train.isClassification();
    facts.classCount = data.train.classCount();
    if (data.train.samples.defined()) {
        facts.sampleShape = data.train.sampleShape();
    }
    facts.imagesFollowInput = section.value("source", "").rfind("folder:", 0) == 0;
    return facts;
}

std::optional<DeviceMemory> freeMemoryFor(const std::string& deviceSetting) {
    Device device;
    try {
        device = parseDevice(deviceSetting);
    } catch (const Error&) {
        return std::nullopt;
    }
    for (const DeviceInfo& info : availableDevices()) {
        if (!(info.device == device)) {
            continue;
        }
        DeviceMemory memory{device.str() + " (" + info.name + ")", info.freeMemory};
        if (device.kind == DeviceKind::CPU) {
            memory.device = "the CPU";
            // Free pages leave out the caches the system drops when asked for memory.
            if (const uint64_t available = availableMemoryBytes(); available > 0) {
                memory.freeBytes = available;
            }
        }
        return memory.freeBytes > 0 ? std::optional(memory) : std::nullopt;
    }
    return std::nullopt;
}

std::string describeFix(const NetworkFix& fix) {
    if (const auto* edit = std::get_if<SetLayerParameter>(&fix)) {
        return "Set the " + edit->parameter + " of " + quoted(edit->layer) + " to " +
               valueInWords(edit->value);
    }
    return "Set the loss to " + lossInWords(std::get<SetTrainingLoss>(fix).loss);
}

void applyFix(const NetworkFix& fix, Graph& graph, TrainingConfig& training) {
    if (const auto* edit = std::get_if<SetLayerParameter>(&fix)) {
        graph.layer(edit->layer).params().set(edit->parameter, edit->value);
    } else {
        training.loss = std::get<SetTrainingLoss>(fix).loss;
    }
}

std::vector<NetworkWarning> checkNetwork(const Graph& graph, const NetworkCheckInputs& inputs) {
    std::vector<std::optional<NetworkWarning>> found;
    const Graph::Node* output = soleValidNode(graph, outputLayers(graph));
    const std::unique_ptr<Loss> loss = lossOf(inputs.training);
    if (output != nullptr && loss != nullptr) {
        found.push_back(probabilityOutputWarning(*output->layer, *loss));
        found.push_back(softmaxWithSquaredErrorWarning(*output->layer, *loss, inputs.data));
    }
    if (output != nullptr && inputs.data) {
        found.push_back(classCountWarning(graph, *output, *inputs.data));
    }
    if (inputs.data) {
        found.push_back(sampleShapeWarning(graph, *inputs.data));
    }
    found.push_back(memoryWarning(graph, inputs));
    std::vector<NetworkWarning> warnings;
    for (std::optional<NetworkWarning>& warning : found) {
        if (warning) {
            warnings.push_back(std::move(*warning));
        }
    }
    return warnings;
}

TrainingMemory estimateTrainingMemory(const Graph& graph, const TrainingConfig& training,
                                      const std::map<std::string, int64_t>& parameterCounts) {
    const uint64_t batch = static_cast<uint64_t>(std::max<int64_t>(1, training.batchSize));
    const uint64_t slots = optimizerSlotsPerWeight(training);
    TrainingMemory memory;
    for (const Graph::Node& node : graph.nodes()) {
        if (!node.valid) {
            continue;
        }
        const auto count = parameterCounts.find(node.layer->name());
        const uint64_t weights =
            count == parameterCounts.end() ? 0 : static_cast<uint64_t>(count->second);
        // A frozen layer's weights get no gradient and no optimizer state.
        const uint64_t weightCopies = node.layer->trainable() ? 2 + slots : 1;
        const uint64_t outputCopies = outputCopiesOf(*node.layer);
        const uint64_t weightBytes = weights * weightCopies * kBytesPerFloat;
        const uint64_t outputBytes =
            static_cast<uint64_t>(node.outputShape.numel()) * batch * outputCopies * kBytesPerFloat;
        memory.weights += weightBytes;
        memory.activations += outputBytes;
        if (weightBytes + outputBytes > memory.largestLayerBytes) {
            memory.largestLayer = node.layer->name();
            memory.largestLayerBytes = weightBytes + outputBytes;
        }
    }
    return memory;
}

std::optional<std::string> trainingMemoryShortfall(const Graph& graph,
                                                   const TrainingConfig& training) {
    std::map<std::string, int64_t> parameterCounts;
    for (const auto& [layer, cost] : networkCosts(graph).layers) {
        parameterCounts[layer] = cost.parameters;
    }
    return memoryShortfall(graph, training, parameterCounts, freeMemoryFor(training.device), "");
}

}  // namespace loom
