// DepthwiseConv2D: each input channel convolved with its own depth_multiplier (m) filters, no
// mixing across channels; output channel c*m + j comes from input channel c and filter j.
//   forward:  y[n,c*m+j,p,q] = b[c*m+j]
//                              + sum_{r,s} x[n,c,p*sh + r*dh - pt, q*sw + s*dw - pl] W[c*m+j,0,r,s]
//   backward: as Conv2D, within each channel (Convolution2D.h)
// It is a grouped convolution with one group per input channel, so the kernel is
// [channels*m, 1, kh, kw] (Keras stores it as [kh, kw, channels, m]).

#include "Convolution2D.h"

namespace loom::layers {
namespace {

class DepthwiseConv2D final : public Convolution2D {
public:
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

    Shape filterShape(const Shape& in) const override {
        auto [kh, kw] = kernelSize();
        return Shape{in[0] * params().getInt("depth_multiplier"), 1, kh, kw};
    }

    int groups(const Shape& in) const override { return static_cast<int>(in[0]); }
};

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    nlohmann::json params = Convolution2D::windowFromKeras(r);
    params["depth_multiplier"] = r.config().value("depth_multiplier", 1);
    return {"DepthwiseConv2D", params, 3};
}

void toKeras(KerasLayerWriter& w) {
    w.config()["depth_multiplier"] = w.params().getInt("depth_multiplier");
    Convolution2D::windowToKeras(w, "depthwise");
}

/// Keras' output channel c*m + j is (channel c, filter j): its [kh, kw, channels, m] kernel is
/// an HWIO kernel with one input channel per group once the last two axes are flattened.
Tensor weightFromKeras(const Layer& layer, const Parameter& p, const Tensor& w) {
    const Shape& loom = p.value.shape();
    if (p.name != "depthwise_kernel") {
        requireKerasShape(layer, p, w, loom);
        return w;
    }
    const int64_t multiplier = layer.params().getInt("depth_multiplier");
    requireKerasShape(layer, p, w, Shape{loom[2], loom[3], loom[0] / multiplier, multiplier});
    return hwioToOihw(w.reshape(Shape{loom[2], loom[3], 1, loom[0]}));
}

Tensor weightToKeras(const Layer& layer, const std::string& parameter, const Tensor& w) {
    if (parameter != "depthwise_kernel") {
        return w;
    }
    const int64_t multiplier = layer.params().getInt("depth_multiplier");
    Tensor hwio = oihwToHwio(w);
    return hwio.reshape(Shape{hwio.dim(0), hwio.dim(1), hwio.dim(3) / multiplier, multiplier});
}

LayerKind kind() {
    LayerKind k;
    k.type = "DepthwiseConv2D";
    k.category = "Convolution";
    k.description = "Convolves each channel with its own filters, without mixing channels";
    k.params = Convolution2D::windowSpecs();
    k.params.push_back(
        ParamSpec::integer("depth_multiplier", 1, 1, 1 << 12, "Output channels per input channel"));
    k.params.push_back(Convolution2D::dilationSpec());
    k.params.push_back(activationParamSpec());
    k.params.push_back(
        ParamSpec::boolean("use_bias", true, "Add a learned bias per output channel"));
    k.params.push_back(ParamSpec::choice("depthwise_initializer", "glorot_uniform",
                                         initializerNames(), "How the filters start"));
    k.params.push_back(
        ParamSpec::choice("bias_initializer", "zeros", initializerNames(), "How the bias starts"));
    k.keras.className = "DepthwiseConv2D";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.keras.weightFromKeras = weightFromKeras;
    k.keras.weightToKeras = weightToKeras;
    k.onnx.write = [](OnnxLayerWriter& w) { Convolution2D::toOnnx(w, "depthwise_kernel"); };
    k.create = [] { return std::make_unique<DepthwiseConv2D>(); };
    return k;
}

LOOM_REGISTER_LAYER(DepthwiseConv2D, kind());

}  // namespace
}  // namespace loom::layers
