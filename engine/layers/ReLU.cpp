// ReLU: y = max(x, 0), or min(max(x, 0), max_value) with a ceiling (MobileNetV2's ReLU6);
// dy/dx = 1 where 0 < x (< max_value), else 0.
// Keras' ReLU layer also has negative_slope and threshold; its importer maps a negative slope
// alone to LeakyReLU.

#include "ActivationLayer.h"

namespace loom::layers {
namespace {

class ReLU final : public ActivationLayer {
public:
    ActivationKind activation() const override {
        return ceiling() > 0 ? ActivationKind::ClippedRelu : ActivationKind::Relu;
    }
    double activationAlpha() const override { return ceiling(); }

private:
    double ceiling() const { return params().getFloat("max_value"); }
};

/// Keras' ReLU(max_value, negative_slope, threshold): a ceiling alone is Loom's ReLU, a
/// negative slope alone its LeakyReLU.
KerasLayerImport fromKeras(const KerasLayerReader& r) {
    const nlohmann::json ceiling = r.config().value("max_value", nlohmann::json());
    const double slope = r.config().value("negative_slope", 0.0);
    if (r.config().value("threshold", 0.0) != 0.0 || (slope != 0.0 && !ceiling.is_null())) {
        r.fail("a threshold, or a negative_slope together with a max_value, is not supported");
    }
    if (slope != 0.0) {
        return r.sameRank("LeakyReLU", {{"alpha", slope}});
    }
    if (ceiling.is_null()) {
        return r.sameRank("ReLU", nlohmann::json::object());
    }
    if (!ceiling.is_number() || ceiling.get<double>() <= 0.0) {
        r.fail("max_value must be a positive number or null, got " + jsonExcerpt(ceiling));
    }
    return r.sameRank("ReLU", {{"max_value", ceiling}});
}

void toKeras(KerasLayerWriter& w) {
    const double ceiling = w.params().getFloat("max_value");
    w.config().update({{"max_value", ceiling > 0 ? nlohmann::json(ceiling) : nlohmann::json()},
                       {"negative_slope", 0.0},
                       {"threshold", 0.0}});
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
        imp.applyActivation(node, "relu");
    } else {
        imp.applyActivation(node, "relu6", high);
    }
}

LayerKind kind() {
    LayerKind k;
    k.type = "ReLU";
    k.category = "Activation";
    k.description = "Rectified linear unit, optionally capped (max_value 6 is ReLU6)";
    k.params = {ParamSpec::real("max_value", 0.0, 0.0, 1e6,
                                "Largest output; 0 means no ceiling (Keras' None)")};
    k.keepsElementOrder = true;
    k.keras.className = "ReLU";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = ActivationLayer::toOnnx;
    k.onnx.readers = {{"Clip", convertClip}};
    k.create = [] { return std::make_unique<ReLU>(); };
    return k;
}

LOOM_REGISTER_LAYER(ReLU, kind());

}  // namespace
}  // namespace loom::layers
