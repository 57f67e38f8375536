#pragma once
// The shared body of the activation layers (Activation, LeakyReLU, ELU): the layer itself
// passes its input through as a view and the graph applies activation(), as it does after
// Dense and Conv2D; backward likewise passes the pre-activation gradient through.

#include "LayerSupport.h"

namespace loom::layers {

class ActivationLayer : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override { return inputs.at(0); }

    void forward(ExecutionContext&, const std::vector<Tensor>& x, Tensor& y) override { y = x[0]; }

    void backward(ExecutionContext&, const std::vector<Tensor>&, const Tensor&, const Tensor& dy,
                  std::vector<Tensor>& dx, const std::vector<bool>& needDx) override {
        if (needDx[0]) {
            dx[0] = dy;
        }
    }

    /// The activation node is the layer's whole ONNX form.
    static void toOnnx(OnnxLayerWriter& w) { w.addActivation(w.input()); }
};

/// An activation layer with a fixed kind and an "alpha" parameter (LeakyReLU, ELU).
template <ActivationKind Kind>
class ParametricActivation final : public ActivationLayer {
public:
    ActivationKind activation() const override { return Kind; }
    double activationAlpha() const override { return params().getFloat("alpha"); }
};

}  // namespace loom::layers
