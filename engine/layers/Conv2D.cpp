// Conv2D: 2-D cross-correlation over NCHW images (what Keras and ONNX call convolution).
//   forward:  y[n,k,p,q] = b[k] + sum_{c,r,s} x[n,c,p*sh + r*dh - pt, q*sw + s*dw - pl] W[k,c,r,s]
//   backward: dx = conv-transpose of dy with W; dW = correlation of x with dy; db = sum dy
// The kernel is OIHW [filters, channels, kh, kw]; "same" padding follows Keras (extra cell of
// an odd total at the bottom / right).

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class Conv2D final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = singleInput(*this, inputs, 3, "an image (channels, height, width)");
        Shape filter{params().getInt("filters"), in[0], kernelSize().first, kernelSize().second};
        try {
            return geometry(in).outputShape(in.withBatch(1), filter).withoutBatch();
        } catch (const ShapeError& e) {
            shapeError(std::string(e.what()) + " (input " + in.str() + ")");
        }
    }

    void build(const std::vector<Shape>& inputs, BuildContext& ctx) override {
        auto [kh, kw] = kernelSize();
        int64_t channels = inputs[0][0], filters = params().getInt("filters");
        int64_t fanIn = channels * kh * kw, fanOut = filters * kh * kw;
        addParameter("kernel", Shape{filters, channels, kh, kw},
                     params().getString("kernel_initializer"), fanIn, fanOut, true, ctx);
        if (params().getBool("use_bias")) {
            addParameter("bias", Shape{filters}, params().getString("bias_initializer"), fanIn,
                         fanOut, true, ctx);
        }
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        const Tensor& kernel = parameters()[0].value;
        Conv2DGeometry g = geometry(x[0].shape().withoutBatch());
        ctx.ensure(y, g.outputShape(x[0].shape(), kernel.shape()));
        ctx.backend.conv2dForward(x[0], kernel, g, y);
        if (parameters().size() > 1) {
            ctx.backend.addBias(y, parameters()[1].value);
        }
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        Parameter& kernel = parameters()[0];
        Conv2DGeometry g = geometry(x[0].shape().withoutBatch());
        if (wantsWeightGradients()) {
            ctx.backend.conv2dBackwardFilter(x[0], dy, g, gradientOf(ctx, kernel));
            if (parameters().size() > 1) {
                ctx.backend.biasBackward(dy, gradientOf(ctx, parameters()[1]));
            }
        }
        if (needDx[0]) {
            ctx.ensure(dx[0], x[0].shape());
            ctx.backend.conv2dBackwardData(dy, kernel.value, g, dx[0]);
        }
    }

private:
    std::pair<int, int> kernelSize() const { return pairParam(*this, "kernel_size"); }

    Conv2DGeometry geometry(const Shape& in) const {
        Conv2DGeometry g;
        std::tie(g.strideH, g.strideW) = pairParam(*this, "strides");
        std::tie(g.dilationH, g.dilationW) = pairParam(*this, "dilation_rate");
        if (params().getString("padding") == "same") {
            auto [kh, kw] = kernelSize();
            std::tie(g.padTop, g.padBottom) = samePadding(in[1], kh, g.strideH, g.dilationH);
            std::tie(g.padLeft, g.padRight) = samePadding(in[2], kw, g.strideW, g.dilationW);
        }
        return g;
    }
};

LayerKind kind() {
    LayerKind k;
    k.type = "Conv2D";
    k.category = "Convolution";
    k.description = "2-D convolution over images: learns filters that slide over the input";
    k.params = {
        ParamSpec::integer("filters", 32, 1, 1 << 16, "Number of output channels"),
        ParamSpec::intList("kernel_size", {3, 3}, 2, 2, 1, 1024, "Filter height and width"),
        ParamSpec::intList("strides", {1, 1}, 2, 2, 1, 1024, "Step between windows"),
        ParamSpec::choice("padding", "valid", {"valid", "same"},
                          "valid: no padding; same: pad so the output has ceil(in / stride) cells"),
        ParamSpec::intList("dilation_rate", {1, 1}, 2, 2, 1, 1024, "Spacing between filter taps"),
        activationParamSpec(),
    };
    for (ParamSpec& spec : weightSpecs("filters", "per filter")) {
        k.params.push_back(std::move(spec));
    }
    k.kerasClass = "Conv2D";
    k.onnxOp = "Conv";
    k.create = [] { return std::make_unique<Conv2D>(); };
    return k;
}

LOOM_REGISTER_LAYER(Conv2D, kind());

}  // namespace
}  // namespace loom::layers
