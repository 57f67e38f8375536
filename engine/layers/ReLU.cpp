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

LayerKind kind() {
    LayerKind k;
    k.type = "ReLU";
    k.category = "Activation";
    k.description = "Rectified linear unit, optionally capped (max_value 6 is ReLU6)";
    k.params = {ParamSpec::real("max_value", 0.0, 0.0, 1e6,
                                "Largest output; 0 means no ceiling (Keras' None)")};
    k.kerasClass = "ReLU";
    k.onnxOp = "Clip";
    k.create = [] { return std::make_unique<ReLU>(); };
    return k;
}

LOOM_REGISTER_LAYER(ReLU, kind());

}  // namespace
}  // namespace loom::layers
