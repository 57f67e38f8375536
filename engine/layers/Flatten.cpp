// Flatten: [N, C, H, W] -> [N, C*H*W] in channels-first order. A view: no data moves.

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class Flatten final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        return Shape{inputs.at(0).numel()};
    }

    void forward(ExecutionContext&, const std::vector<Tensor>& x, Tensor& y) override {
        y = x[0].reshape(Shape{x[0].dim(0), x[0].numel() / std::max<int64_t>(x[0].dim(0), 1)});
    }

    void backward(ExecutionContext&, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        if (needDx[0]) {
            dx[0] = dy.reshape(x[0].shape());
        }
    }
};

LayerKind kind() {
    LayerKind k;
    k.type = "Flatten";
    k.category = "Core";
    k.description = "Turns each sample into a flat vector";
    k.kerasClass = "Flatten";
    k.onnxOp = "Flatten";
    k.create = [] { return std::make_unique<Flatten>(); };
    return k;
}

LOOM_REGISTER_LAYER(Flatten, kind());

}  // namespace
}  // namespace loom::layers
