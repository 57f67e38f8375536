#pragma once
// The shared body of Conv2D and DepthwiseConv2D: a grouped 2-D cross-correlation over NCHW
// images (Conv2D has one group, DepthwiseConv2D one per input channel), with Keras' "same"
// padding (the extra cell of an odd total at the bottom / right).
//   forward:  y[n,k,p,q] = b[k] + sum_{c in k's group,r,s} x[n,c,p*sh + r*dh - pt, q*sw + s*dw -
//   pl]
//                                                          W[k,c,r,s]
//   backward: dx = conv-transpose of dy with W; dW = correlation of x with dy; db = sum dy
// The kernel is OIHW [filters, channels per group, kh, kw], which is also ONNX's layout; Keras
// keeps HWIO.

#include "LayerSupport.h"
#include "OptionalBias.h"

namespace loom::layers {

class Convolution2D : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = singleInput(*this, inputs, 3, "an image (channels, height, width)");
        try {
            return geometry(in).outputShape(in.withBatch(1), filterShape(in)).withoutBatch();
        } catch (const ShapeError& e) {
            shapeError(std::string(e.what()) + " (input " + in.str() + ")");
        }
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        const Tensor& kernel = parameters()[0].value;
        Conv2DGeometry g = geometry(x[0].shape().withoutBatch());
        ctx.ensure(y, g.outputShape(x[0].shape(), kernel.shape()));
        ctx.backend.conv2dForward(x[0], kernel, g, y);
        addOptionalBias(ctx, *this, y);
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        Parameter& kernel = parameters()[0];
        Conv2DGeometry g = geometry(x[0].shape().withoutBatch());
        if (wantsWeightGradients()) {
            ctx.backend.conv2dBackwardFilter(x[0], dy, g, gradientOf(ctx, kernel));
            optionalBiasBackward(ctx, *this, dy);
        }
        if (needDx[0]) {
            ctx.ensure(dx[0], x[0].shape());
            ctx.backend.conv2dBackwardData(dy, kernel.value, g, dx[0]);
        }
    }

    /// The kernel for an input [C, H, W].
    virtual Shape filterShape(const Shape& in) const = 0;
    /// The groups the input's channels are split into.
    virtual int groups(const Shape& in) const = 0;

    Conv2DGeometry geometry(const Shape& in) const {
        Conv2DGeometry g;
        g.groups = groups(in);
        std::tie(g.strideH, g.strideW) = pairParam(*this, "strides");
        std::tie(g.dilationH, g.dilationW) = pairParam(*this, "dilation_rate");
        if (params().getString("padding") == "same") {
            auto [kh, kw] = kernelSize();
            std::tie(g.padTop, g.padBottom) = samePadding(in[1], kh, g.strideH, g.dilationH);
            std::tie(g.padLeft, g.padRight) = samePadding(in[2], kw, g.strideW, g.dilationW);
        }
        return g;
    }

    /// kernel_size, strides and padding, the window's first three parameters.
    static std::vector<ParamSpec> windowSpecs() {
        return {
            ParamSpec::intList("kernel_size", {3, 3}, 2, 2, 1, 1024, "Filter height and width"),
            ParamSpec::intList("strides", {1, 1}, 2, 2, 1, 1024, "Step between windows"),
            ParamSpec::choice(
                "padding", "valid", {"valid", "same"},
                "valid: no padding; same: pad so the output has ceil(in / stride) cells"),
        };
    }

    static ParamSpec dilationSpec() {
        return ParamSpec::intList("dilation_rate", {1, 1}, 2, 2, 1, 1024,
                                  "Spacing between filter taps");
    }

    /// The parameters both kinds read from a Keras config the same way.
    static nlohmann::json windowFromKeras(const KerasLayerReader& r) {
        return {{"kernel_size", r.pair("kernel_size", 3)},
                {"strides", r.pair("strides", 1)},
                {"padding", r.padding()},
                {"dilation_rate", r.pair("dilation_rate", 1)},
                {"use_bias", r.config().value("use_bias", true)},
                {"activation", r.activation()}};
    }

    /// The keys both kinds write; `kernel` names the kernel's initializer keys.
    static void windowToKeras(KerasLayerWriter& w, const std::string& kernel) {
        const ParamSet& p = w.params();
        w.config().update({{"kernel_size", p.getInts("kernel_size")},
                           {"strides", p.getInts("strides")},
                           {"padding", p.getString("padding")},
                           {"data_format", "channels_last"},
                           {"dilation_rate", p.getInts("dilation_rate")},
                           {"activation", w.activation()}});
        w.addWeightKeys(kernel);
    }

    /// A Conv node with one group per input channel for DepthwiseConv2D, whose
    /// [channels * m, 1, kh, kw] kernel is already ONNX's grouped layout.
    static void toOnnx(OnnxLayerWriter& w, const std::string& kernel) {
        const auto& conv = static_cast<const Convolution2D&>(w.layer());
        const Conv2DGeometry g = conv.geometry(w.inputShape());
        const auto [kh, kw] = conv.kernelSize();
        std::vector<std::string> inputs = {w.input(), w.addWeight(kernel)};
        if (w.params().getBool("use_bias")) {
            inputs.push_back(w.addWeight("bias"));
        }
        w.addNode("Conv", inputs, w.output()).attributes = {
            OnnxLayerWriter::intsAttribute("kernel_shape", {kh, kw}),
            OnnxLayerWriter::intsAttribute("strides", {g.strideH, g.strideW}),
            OnnxLayerWriter::intsAttribute("dilations", {g.dilationH, g.dilationW}),
            OnnxLayerWriter::intsAttribute("pads", {g.padTop, g.padLeft, g.padBottom, g.padRight}),
            OnnxLayerWriter::intAttribute("group", g.groups),
        };
    }

protected:
    std::pair<int, int> kernelSize() const { return pairParam(*this, "kernel_size"); }
};

}  // namespace loom::layers
