// Input: where samples enter the network. It has no computation; its "shape" is the
// per-sample shape (channels first for images: [1, 28, 28]; [784] for flat vectors).

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class Input final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>&) const override {
        return Shape(params().getInts("shape"));
    }
    void forward(ExecutionContext&, const std::vector<Tensor>&, Tensor&) override {}
    void backward(ExecutionContext&, const std::vector<Tensor>&, const Tensor&, const Tensor&,
                  std::vector<Tensor>&, const std::vector<bool>&) override {}
};

LayerKind kind() {
    LayerKind k;
    k.type = "Input";
    k.category = "Core";
    k.description = "Where samples enter the network";
    k.params = {ParamSpec::intList("shape", {784}, 1, 4, 1, 1 << 24,
                                   "Shape of one sample, channels first: [784] or [1, 28, 28]")};
    k.minInputs = k.maxInputs = 0;
    k.kerasClass = "InputLayer";
    k.create = [] { return std::make_unique<Input>(); };
    return k;
}

LOOM_REGISTER_LAYER(Input, kind());

}  // namespace
}  // namespace loom::layers
