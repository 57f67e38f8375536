// LeakyReLU: y = x for x >= 0, alpha * x otherwise;  dy/dx = 1 or alpha.

#include "ActivationLayer.h"

namespace loom::layers {
namespace {

LayerKind kind() {
    LayerKind k;
    k.type = "LeakyReLU";
    k.category = "Activation";
    k.description = "ReLU that lets a small gradient through for negative inputs";
    k.params = {ParamSpec::real("alpha", 0.3, 0.0, 1e6, "Slope for negative inputs")};
    k.kerasClass = "LeakyReLU";
    k.onnxOp = "LeakyRelu";
    k.create = [] { return std::make_unique<ParametricActivation<ActivationKind::LeakyRelu>>(); };
    return k;
}

LOOM_REGISTER_LAYER(LeakyReLU, kind());

}  // namespace
}  // namespace loom::layers
