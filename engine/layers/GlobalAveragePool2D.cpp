// GlobalAveragePool2D: the mean of each channel over all positions.
//   forward:  y[n,c] = mean_{h,w} x[n,c,h,w]
//   backward: dx[n,c,h,w] = dy[n,c] / (H*W)

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class GlobalAveragePool2D final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = singleInput(*this, inputs, 3, "an image (channels, height, width)");
        return Shape{in[0]};
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        ctx.ensure(y, Shape{x[0].dim(0), x[0].dim(1)});
        ctx.backend.globalAveragePoolForward(x[0], y);
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        if (needDx[0]) {
            ctx.ensure(dx[0], x[0].shape());
            ctx.backend.globalAveragePoolBackward(dy, dx[0]);
        }
    }
};

LayerKind kind() {
    LayerKind k;
    k.type = "GlobalAveragePool2D";
    k.category = "Pooling";
    k.description = "Mean of each channel over the whole image";
    k.kerasClass = "GlobalAveragePooling2D";
    k.onnxOp = "GlobalAveragePool";
    k.create = [] { return std::make_unique<GlobalAveragePool2D>(); };
    return k;
}

LOOM_REGISTER_LAYER(GlobalAveragePool2D, kind());

}  // namespace
}  // namespace loom::layers
