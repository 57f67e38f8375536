// Conv2D: 2-D cross-correlation over NCHW images (what Keras and ONNX call convolution), one
// group: every filter sees every input channel (Convolution2D.h has the formulas).
// The kernel is OIHW [filters, channels, kh, kw]. ONNX's Conv op is read here for both
// convolution kinds: one group is a Conv2D, a group per input channel a DepthwiseConv2D.

#include "Convolution2D.h"
#include "io/OnnxWindow.h"

namespace loom::layers {
namespace {

class Conv2D final : public Convolution2D {
public:
    void build(const std::vector<Shape>& inputs, BuildContext& ctx) override {
        auto [kh, kw] = kernelSize();
        int64_t channels = inputs[0][0], filters = params().getInt("filters");
        int64_t fanIn = channels * kh * kw, fanOut = filters * kh * kw;
        addParameter("kernel", filterShape(inputs[0]), params().getString("kernel_initializer"),
                     fanIn, fanOut, true, ctx);
        if (params().getBool("use_bias")) {
            addParameter("bias", Shape{filters}, params().getString("bias_initializer"), fanIn,
                         fanOut, true, ctx);
        }
    }

    Shape filterShape(const Shape& in) const override {
        auto [kh, kw] = kernelSize();
        return Shape{params().getInt("filters"), in[0], kh, kw};
    }

    int groups(const Shape&) const override { return 1; }
};

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    if (r.config().value("groups", 1) != 1) {
        r.fail("grouped convolutions are not supported");
    }
    nlohmann::json params = Convolution2D::windowFromKeras(r);
    params["filters"] = r.config().at("filters");
    return {"Conv2D", params, 3};
}

void toKeras(KerasLayerWriter& w) {
    w.config()["filters"] = w.params().getInt("filters");
    Convolution2D::windowToKeras(w, "kernel");
}

/// Keras' HWIO kernel [kh, kw, channels, filters] -> OIHW.
Tensor weightFromKeras(const Layer& layer, const Parameter& p, const Tensor& w) {
    const Shape& loom = p.value.shape();
    if (p.name != "kernel") {
        requireKerasShape(layer, p, w, loom);
        return w;
    }
    requireKerasShape(layer, p, w, Shape{loom[2], loom[3], loom[1], loom[0]});
    return hwioToOihw(w);
}

Tensor weightToKeras(const Layer&, const std::string& parameter, const Tensor& w) {
    return parameter == "kernel" ? oihwToHwio(w) : w;
}

void convertConv(OnnxImporter& imp, const OnnxNode& node) {
    const Image x = imageInput(imp, node);
    const Shape image = imp.shapeOf(x.layer);
    const Tensor w = imp.constant(node, 1);

    // One group per input channel is Loom's DepthwiseConv2D; other groupings it has not.
    const int64_t group = node.getInt("group", 1);
    const bool depthwise = group == image[0] && group > 1;
    if (group != 1 && !depthwise) {
        imp.fail(node, "grouped convolution (group " + std::to_string(group) + " of " +
                           std::to_string(image[0]) +
                           " channels) is not supported: Loom has Conv2D (one group) and "
                           "DepthwiseConv2D (a group per channel)");
    }
    if (w.rank() != x.spatial() + 2 || w.dim(1) * group != image[0] || w.dim(0) % group != 0) {
        imp.fail(node, "weight W of shape " + w.shape().str() + " does not fit " +
                           std::to_string(image[0]) + " input channels in " +
                           std::to_string(group) + " group(s)");
    }
    const std::vector<int64_t> kernel(w.shape().dims().begin() + 2, w.shape().dims().end());
    if (node.has("kernel_shape") && node.getInts("kernel_shape", {}) != kernel) {
        imp.fail(node, "kernel_shape " + onnxListText(node.getInts("kernel_shape", {})) +
                           " disagrees with W of shape " + w.shape().str());
    }
    const Window win = windowOf(imp, node, image, kernel, x.spatial());
    const int64_t filters = w.dim(0);
    Tensor bias;
    if (imp.hasInput(node, 2)) {
        bias = imp.constant(node, 2);
        if (bias.numel() != filters) {
            imp.fail(node, "bias B of shape " + bias.shape().str() + " does not fit " +
                               std::to_string(filters) + " filters");
        }
    }
    std::string input = x.layer, padding = "valid";
    switch (padFit(win, image)) {
        case PadFit::None:
            break;
        case PadFit::Same:
            padding = "same";
            break;
        case PadFit::Other:
            input = addZeroPadding(imp, node, input, win);
            break;
    }
    nlohmann::json params = {{"kernel_size", win.kernel},
                             {"strides", win.strides},
                             {"padding", padding},
                             {"dilation_rate", win.dilations},
                             {"use_bias", bias.defined()}};
    if (depthwise) {
        params["depth_multiplier"] = filters / group;
    } else {
        params["filters"] = filters;
    }
    const std::string conv =
        imp.addLayer(node, depthwise ? "DepthwiseConv2D" : "Conv2D", params, {input});
    imp.setWeight(conv, depthwise ? "depthwise_kernel" : "kernel",
                  w.reshape(Shape{filters, w.dim(1), win.kernel[0], win.kernel[1]}));
    if (bias.defined()) {
        imp.setWeight(conv, "bias", bias.reshape(Shape{filters}));
    }
    imp.bindLayer(imp.output(node), imageOutput(imp, node, conv, x));
}

LayerKind kind() {
    LayerKind k;
    k.type = "Conv2D";
    k.category = "Convolution";
    k.description = "2-D convolution over images: learns filters that slide over the input";
    k.params = {ParamSpec::integer("filters", 32, 1, 1 << 16, "Number of output channels")};
    for (ParamSpec& spec : Convolution2D::windowSpecs()) {
        k.params.push_back(std::move(spec));
    }
    k.params.push_back(Convolution2D::dilationSpec());
    k.params.push_back(activationParamSpec());
    for (ParamSpec& spec : weightSpecs("filters", "per filter")) {
        k.params.push_back(std::move(spec));
    }
    k.keras.className = "Conv2D";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.keras.weightFromKeras = weightFromKeras;
    k.keras.weightToKeras = weightToKeras;
    k.onnx.write = [](OnnxLayerWriter& w) { Convolution2D::toOnnx(w, "kernel"); };
    k.onnx.readers = {{"Conv", convertConv}};
    k.create = [] { return std::make_unique<Conv2D>(); };
    return k;
}

LOOM_REGISTER_LAYER(Conv2D, kind());

}  // namespace
}  // namespace loom::layers
