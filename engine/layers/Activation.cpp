// Activation: applies an element-wise activation (or softmax along the feature / channel
// axis) to its input. Formulas: relu max(x,0); leaky_relu x<0 ? 0.2x : x; elu x<0 ? e^x-1 : x;
// sigmoid 1/(1+e^-x); tanh; softmax e^x_i / sum_j e^x_j; linear x.

#include "ActivationLayer.h"

namespace loom::layers {
namespace {

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    return r.sameRank("Activation", {{"activation", r.activation()}});
}

void toKeras(KerasLayerWriter& w) {
    w.config()["activation"] = w.activation();
}

void convertRelu(OnnxImporter& imp, const OnnxNode& node) {
    imp.applyActivation(node, "relu");
}

void convertSigmoid(OnnxImporter& imp, const OnnxNode& node) {
    imp.applyActivation(node, "sigmoid");
}

void convertTanh(OnnxImporter& imp, const OnnxNode& node) {
    imp.applyActivation(node, "tanh");
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
        imp.applyActivation(node, "softmax");
        return;
    }
    const std::string flat =
        imp.addLayer(node, "Flatten", nlohmann::json::object(), {input}, "_flat");
    const std::string softmax =
        imp.addLayer(node, "Activation", {{"activation", "softmax"}}, {flat});
    imp.bindLayer(imp.output(node), imp.addReshape(node, softmax, sample, "_shape"));
}

LayerKind kind() {
    LayerKind k;
    k.type = "Activation";
    k.category = "Activation";
    k.description = "Applies an activation function";
    k.params = {activationParamSpec("relu")};
    k.keepsElementOrder = true;
    k.keras.className = "Activation";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = ActivationLayer::toOnnx;
    k.onnx.readers = {{"Relu", convertRelu},
                      {"Sigmoid", convertSigmoid},
                      {"Tanh", convertTanh},
                      {"Softmax", convertSoftmax}};
    k.create = [] { return std::make_unique<ActivationLayer>(); };
    return k;
}

LOOM_REGISTER_LAYER(Activation, kind());

}  // namespace
}  // namespace loom::layers
