// Activation: applies an element-wise activation (or softmax along the feature / channel
// axis) to its input. Formulas: relu max(x,0); leaky_relu x<0 ? 0.2x : x; elu x<0 ? e^x-1 : x;
// sigmoid 1/(1+e^-x); tanh; softmax e^x_i / sum_j e^x_j; linear x.

#include "ActivationLayer.h"

namespace loom::layers {
namespace {

LayerKind kind() {
    LayerKind k;
    k.type = "Activation";
    k.category = "Activation";
    k.description = "Applies an activation function";
    k.params = {activationParamSpec("relu")};
    k.kerasClass = "Activation";
    k.create = [] { return std::make_unique<ActivationLayer>(); };
    return k;
}

LOOM_REGISTER_LAYER(Activation, kind());

}  // namespace
}  // namespace loom::layers
