// Dense: a fully connected layer on flat inputs.
//   forward:  y = x W + b              x [N, in], W [in, units] (Keras' layout), b [units]
//   backward: dW = x^T dy, db = sum_n dy, dx = dy W^T

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class Dense final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = inputs.at(0);
        if (in.rank() != 1) {
            shapeError("expects a flat input (features,), got " + in.str() +
                       "; put a Flatten layer before it");
        }
        return Shape{params().getInt("units")};
    }

    void build(const std::vector<Shape>& inputs, BuildContext& ctx) override {
        int64_t in = inputs[0][0], units = params().getInt("units");
        addParameter("kernel", Shape{in, units}, params().getString("kernel_initializer"), in,
                     units, true, ctx);
        if (params().getBool("use_bias")) {
            addParameter("bias", Shape{units}, params().getString("bias_initializer"), in, units,
                         true, ctx);
        }
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        const Tensor& kernel = parameters()[0].value;
        ctx.ensure(y, Shape{x[0].dim(0), kernel.dim(1)});
        ctx.backend.gemm(false, false, 1.0, x[0], kernel, 0.0, y);
        if (parameters().size() > 1) {
            ctx.backend.addBias(y, parameters()[1].value);
        }
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        Parameter& kernel = parameters()[0];
        if (wantsWeightGradients()) {
            ctx.backend.gemm(true, false, 1.0, x[0], dy, 0.0, gradientOf(ctx, kernel));
            if (parameters().size() > 1) {
                ctx.backend.biasBackward(dy, gradientOf(ctx, parameters()[1]));
            }
        }
        if (needDx[0]) {
            ctx.ensure(dx[0], x[0].shape());
            ctx.backend.gemm(false, true, 1.0, dy, kernel.value, 0.0, dx[0]);
        }
    }
};

LayerKind kind() {
    LayerKind k;
    k.type = "Dense";
    k.category = "Core";
    k.description = "Fully connected layer: y = activation(x W + b)";
    k.params = {
        ParamSpec::integer("units", 10, 1, 1 << 24, "Number of output features"),
        activationParamSpec(),
    };
    for (ParamSpec& spec : weightSpecs("weights", "to each output")) {
        k.params.push_back(std::move(spec));
    }
    k.kerasClass = "Dense";
    k.onnxOp = "Gemm";
    k.create = [] { return std::make_unique<Dense>(); };
    return k;
}

LOOM_REGISTER_LAYER(Dense, kind());

}  // namespace
}  // namespace loom::layers
