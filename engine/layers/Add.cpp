// Add: the element-wise sum of inputs of one shape (residual connections).
//   backward: dx_i = dy for every input

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class Add final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        for (size_t i = 1; i < inputs.size(); ++i) {
            if (inputs[i] != inputs[0]) {
                shapeError("input " + std::to_string(i) + " has shape " + inputs[i].str() +
                           " but input 0 has " + inputs[0].str() + "; all must be equal");
            }
        }
        return inputs.at(0);
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        ctx.ensure(y, x[0].shape());
        ctx.backend.add(x[0], x[1], y);
        for (size_t i = 2; i < x.size(); ++i) {
            ctx.backend.add(y, x[i], y);
        }
    }

    void backward(ExecutionContext&, const std::vector<Tensor>&, const Tensor&, const Tensor& dy,
                  std::vector<Tensor>& dx, const std::vector<bool>& needDx) override {
        for (size_t i = 0; i < dx.size(); ++i) {
            if (needDx[i]) {
                dx[i] = dy;
            }
        }
    }
};

LayerKind kind() {
    LayerKind k;
    k.type = "Add";
    k.category = "Merge";
    k.description = "Element-wise sum of inputs of the same shape";
    k.minInputs = 2;
    k.maxInputs = -1;
    k.kerasClass = "Add";
    k.onnxOp = "Add";
    k.create = [] { return std::make_unique<Add>(); };
    return k;
}

LOOM_REGISTER_LAYER(Add, kind());

}  // namespace
}  // namespace loom::layers
