// DepthwiseConv2D: each input channel convolved with its own depth_multiplier (m) filters, no
// mixing across channels; output channel c*m + j comes from input channel c and filter j.
//   forward:  y[n,c*m+j,p,q] = b[c*m+j]
//                              + sum_{r,s} x[n,c,p*sh + r*dh - pt, q*sw + s*dw - pl] W[c*m+j,0,r,s]
//   backward: as Conv2D, within each channel: dx = conv-transpose of dy with W;
//             dW = correlation of x with dy; db = sum dy
// It is a grouped convolution with one group per input channel, so the kernel is
// [channels*m, 1, kh, kw] (Keras stores it as [kh, kw, channels, m]); "same" padding follows
// Keras as in Conv2D.

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class DepthwiseConv2D final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = singleInput(*this, inputs, 3, "an image (channels, height, width)");
        try {
            return geometry(in).outputShape(in.withBatch(1), filterShape(in)).withoutBatch();
        } catch (const ShapeError& e) {
            shapeError(std::string(e.what()) + " (input " + in.str() + ")");
        }
    }

    void build(const std::vector<Shape>& inputs, BuildContext& ctx) override {
        auto [kh, kw] = kernelSize();
        int64_t multiplier = params().getInt("depth_multiplier");
        // Keras' fans for its [kh, kw, channels, m] kernel.
        int64_t fanIn = inputs[0][0] * kh * kw, fanOut = multiplier * kh * kw;
        addParameter("depthwise_kernel", filterShape(inputs[0]),
                     params().getString("depthwise_initializer"), fanIn, fanOut, true, ctx);
        if (params().getBool("use_bias")) {
            addParameter("bias", Shape{inputs[0][0] * multiplier},
                         params().getString("bias_initializer"), fanIn, fanOut, true, ctx);
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

    Shape filterShape(const Shape& in) const {
        auto [kh, kw] = kernelSize();
        return Shape{in[0] * params().getInt("depth_multiplier"), 1, kh, kw};
    }

    Conv2DGeometry geometry(const Shape& in) const {
        Conv2DGeometry g;
        g.groups = static_cast<int>(in[0]);
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
    k.type = "DepthwiseConv2D";
    k.category = "Convolution";
    k.description = "Convolves each channel with its own filters, without mixing channels";
    k.params = {
        ParamSpec::intList("kernel_size", {3, 3}, 2, 2, 1, 1024, "Filter height and width"),
        ParamSpec::intList("strides", {1, 1}, 2, 2, 1, 1024, "Step between windows"),
        ParamSpec::choice("padding", "valid", {"valid", "same"},
                          "valid: no padding; same: pad so the output has ceil(in / stride) cells"),
        ParamSpec::integer("depth_multiplier", 1, 1, 1 << 12, "Output channels per input channel"),
        ParamSpec::intList("dilation_rate", {1, 1}, 2, 2, 1, 1024, "Spacing between filter taps"),
        activationParamSpec(),
        ParamSpec::boolean("use_bias", true, "Add a learned bias per output channel"),
        ParamSpec::choice("depthwise_initializer", "glorot_uniform", initializerNames(),
                          "How the filters start"),
        ParamSpec::choice("bias_initializer", "zeros", initializerNames(), "How the bias starts"),
    };
    k.kerasClass = "DepthwiseConv2D";
    k.onnxOp = "Conv";
    k.create = [] { return std::make_unique<DepthwiseConv2D>(); };
    return k;
}

LOOM_REGISTER_LAYER(DepthwiseConv2D, kind());

}  // namespace
}  // namespace loom::layers
