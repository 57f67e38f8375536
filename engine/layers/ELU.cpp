// ELU: y = x for x > 0, alpha * (e^x - 1) otherwise;  dy/dx = 1 or y + alpha.

#include "ActivationLayer.h"

namespace loom::layers {
namespace {

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    return r.sameRank("ELU", {{"alpha", r.config().value("alpha", 1.0)}});
}

void toKeras(KerasLayerWriter& w) {
    w.config()["alpha"] = w.params().getFloat("alpha");
}

void convertElu(OnnxImporter& imp, const OnnxNode& node) {
    imp.applyActivation(node, "elu", node.getFloat("alpha", 1.0f));
}

LayerKind kind() {
    LayerKind k;
    k.type = "ELU";
    k.category = "Activation";
    k.description = "Exponential linear unit";
    k.params = {ParamSpec::real("alpha", 1.0, 0.0, 1e6, "Scale of the negative part")};
    k.keepsElementOrder = true;
    k.keras.className = "ELU";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = ActivationLayer::toOnnx;
    k.onnx.readers = {{"Elu", convertElu}};
    k.create = [] { return std::make_unique<ParametricActivation<ActivationKind::Elu>>(); };
    return k;
}

LOOM_REGISTER_LAYER(ELU, kind());

}  // namespace
}  // namespace loom::layers
