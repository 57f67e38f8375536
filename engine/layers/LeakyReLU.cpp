// LeakyReLU: y = x for x >= 0, alpha * x otherwise;  dy/dx = 1 or alpha.

#include "ActivationLayer.h"

namespace loom::layers {
namespace {

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    // Keras 3 calls alpha negative_slope.
    const double alpha = r.config().value("alpha", r.config().value("negative_slope", 0.3));
    return r.sameRank("LeakyReLU", {{"alpha", alpha}});
}

void toKeras(KerasLayerWriter& w) {
    w.config()["alpha"] = w.params().getFloat("alpha");
}

void convertLeakyRelu(OnnxImporter& imp, const OnnxNode& node) {
    imp.applyActivation(node, "leaky_relu", node.getFloat("alpha", 0.01f));
}

LayerKind kind() {
    LayerKind k;
    k.type = "LeakyReLU";
    k.category = "Activation";
    k.description = "ReLU that lets a small gradient through for negative inputs";
    k.params = {ParamSpec::real("alpha", 0.3, 0.0, 1e6, "Slope for negative inputs")};
    k.keepsElementOrder = true;
    k.keras.className = "LeakyReLU";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = ActivationLayer::toOnnx;
    k.onnx.readers = {{"LeakyRelu", convertLeakyRelu}};
    k.create = [] { return std::make_unique<ParametricActivation<ActivationKind::LeakyRelu>>(); };
    return k;
}

LOOM_REGISTER_LAYER(LeakyReLU, kind());

}  // namespace
}  // namespace loom::layers
