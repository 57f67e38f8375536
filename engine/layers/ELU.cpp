// ELU: y = x for x > 0, alpha * (e^x - 1) otherwise;  dy/dx = 1 or y + alpha.

#include "ActivationLayer.h"

namespace loom::layers {
namespace {

LayerKind kind() {
    LayerKind k;
    k.type = "ELU";
    k.category = "Activation";
    k.description = "Exponential linear unit";
    k.params = {ParamSpec::real("alpha", 1.0, 0.0, 1e6, "Scale of the negative part")};
    k.kerasClass = "ELU";
    k.onnxOp = "Elu";
    k.create = [] { return std::make_unique<ParametricActivation<ActivationKind::Elu>>(); };
    return k;
}

LOOM_REGISTER_LAYER(ELU, kind());

}  // namespace
}  // namespace loom::layers
