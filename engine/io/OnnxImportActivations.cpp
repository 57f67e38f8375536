// ONNX activations and dropout -> Loom layers. An activation right after a Dense or
// convolution that feeds nothing else becomes that layer's fused activation, as Loom's own
// layers carry it; elsewhere it is a layer of its own.

#include "io/OnnxImporter.h"

#include <cmath>
#include <limits>
#include <optional>

namespace loom {

namespace {

/// An element-wise activation: fused into the Dense or convolution before it when that
/// layer's output feeds nothing else and the layer's fused form has this alpha; else a layer
/// of its own (LeakyReLU, ELU and a capped ReLU carry their alpha; the others are an
/// Activation layer).
void applyActivation(OnnxImporter& imp, const OnnxNode& node, const std::string& activation,
                     std::optional<float> alpha = std::nullopt) {
    if (Layer* producer = imp.fusableProducer(node, 0)) {
        // A fused activation's alpha is Keras' default for its kind (leaky_relu 0.2, relu6 6):
        // set it, and keep it only when that is the node's alpha.
        producer->params().set("activation", activation);
        if (!alpha || static_cast<float>(producer->activationAlpha()) == *alpha) {
            imp.bindLayer(imp.output(node), producer->name());
            return;
        }
        producer->params().set("activation", "linear");
    }
    const std::string input = imp.layerInput(node, 0);
    std::string layer;
    if (activation == "leaky_relu") {
        layer = imp.addLayer(node, "LeakyReLU", {{"alpha", *alpha}}, {input});
    } else if (activation == "elu") {
        layer = imp.addLayer(node, "ELU", {{"alpha", *alpha}}, {input});
    } else if (activation == "relu6") {
        layer = imp.addLayer(node, "ReLU", {{"max_value", *alpha}}, {input});
    } else {
        layer = imp.addLayer(node, "Activation", {{"activation", activation}}, {input});
    }
    imp.bindLayer(imp.output(node), layer);
}

}  // namespace

void convertRelu(OnnxImporter& imp, const OnnxNode& node) {
    applyActivation(imp, node, "relu");
}

void convertSigmoid(OnnxImporter& imp, const OnnxNode& node) {
    applyActivation(imp, node, "sigmoid");
}

void convertTanh(OnnxImporter& imp, const OnnxNode& node) {
    applyActivation(imp, node, "tanh");
}

void convertLeakyRelu(OnnxImporter& imp, const OnnxNode& node) {
    applyActivation(imp, node, "leaky_relu", node.getFloat("alpha", 0.01f));
}

void convertElu(OnnxImporter& imp, const OnnxNode& node) {
    applyActivation(imp, node, "elu", node.getFloat("alpha", 1.0f));
}

/// Clip(x, 0, max) is a ReLU capped at max (ReLU6 at 6), Clip(x, 0) a plain ReLU; before
/// opset 11 the bounds are attributes, since then optional inputs.
void convertClip(OnnxImporter& imp, const OnnxNode& node) {
    const float none = std::numeric_limits<float>::infinity();
    float low = node.getFloat("min", -none), high = node.getFloat("max", none);
    if (imp.opset() >= 11) {
        low = imp.hasInput(node, 1) ? static_cast<float>(imp.constant(node, 1).at(0)) : -none;
        high = imp.hasInput(node, 2) ? static_cast<float>(imp.constant(node, 2).at(0)) : none;
    }
    if (low != 0.0f || !(high > 0.0f)) {
        imp.fail(node, "clips to [" + std::to_string(low) + ", " + std::to_string(high) +
                           "]; Loom's ReLU clips to [0, max_value] only");
    }
    if (std::isinf(high)) {
        applyActivation(imp, node, "relu");
    } else {
        applyActivation(imp, node, "relu6", high);
    }
}

/// Loom's softmax runs along axis 1 (features, or channels at every position). Opset 13's
/// Softmax along axis 1 is that. Before opset 13, Softmax flattens [N, ...] at its axis into a
/// matrix first: along axis 1 that is Flatten, softmax, Reshape back.
void convertSoftmax(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const Shape sample = imp.shapeOf(input);
    const auto rank = static_cast<int64_t>(sample.rank()) + 1;
    const int64_t axis = node.getInt("axis", imp.opset() < 13 ? 1 : -1);
    if (axis != 1 && axis != 1 - rank) {
        imp.fail(node, "softmax along axis " + std::to_string(axis) + " of samples of shape " +
                           sample.str() + "; Loom's softmax runs along axis 1");
    }
    if (imp.opset() >= 13 || sample.rank() == 1) {
        applyActivation(imp, node, "softmax");
        return;
    }
    const std::string flat =
        imp.addLayer(node, "Flatten", nlohmann::json::object(), {input}, "_flat");
    const std::string softmax =
        imp.addLayer(node, "Activation", {{"activation", "softmax"}}, {flat});
    imp.bindLayer(imp.output(node), imp.addReshape(node, softmax, sample, "_shape"));
}

void convertDropout(OnnxImporter& imp, const OnnxNode& node) {
    double ratio = node.getFloat("ratio", 0.5f);
    if (imp.opset() >= 12) {  // ratio and training_mode became inputs
        const bool training = imp.hasInput(node, 2) && imp.constant(node, 2).at(0) != 0.0;
        if (training) {
            imp.fail(node, "training_mode is true; an exported model runs in inference mode");
        }
        ratio = imp.hasInput(node, 1) ? imp.constant(node, 1).at(0) : 0.5;
    }
    imp.bindLayer(imp.output(node),
                  imp.addLayer(node, "Dropout", {{"rate", ratio}}, {imp.layerInput(node, 0)}));
}

}  // namespace loom
