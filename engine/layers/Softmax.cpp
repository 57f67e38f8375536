// Softmax: y_i = e^(x_i) / sum_j e^(x_j) along the feature axis (the channels of an image, at
// every position), as a layer of its own, as Keras' Softmax layer is;
//   dx_i = y_i (dy_i - sum_j dy_j y_j).
// The graph applies it after the layer (ActivationLayer.h), so a loss fuses with it as with
// Dense(activation="softmax").

#include "ActivationLayer.h"

namespace loom::layers {
namespace {

class Softmax final : public ActivationLayer {
public:
    ActivationKind activation() const override { return ActivationKind::Softmax; }
};

/// Keras' axis -1 is the features of a flat input and the channels of a channels_last image,
/// Loom's axis 1 in both.
KerasLayerImport fromKeras(const KerasLayerReader& r) {
    if (r.axis() != 1) {
        r.fail("softmax along axis " + jsonExcerpt(r.config().value("axis", -1)) +
               "; Loom's softmax runs along the features or channels");
    }
    return r.sameRank("Softmax", nlohmann::json::object());
}

void toKeras(KerasLayerWriter& w) {
    w.config()["axis"] = w.channelAxis(1);
}

LayerKind kind() {
    LayerKind k;
    k.type = "Softmax";
    k.category = "Activation";
    k.description = "Turns scores into probabilities that sum to 1 over the features or channels";
    k.keras.className = "Softmax";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = ActivationLayer::toOnnx;
    k.create = [] { return std::make_unique<Softmax>(); };
    return k;
}

LOOM_REGISTER_LAYER(Softmax, kind());

}  // namespace
}  // namespace loom::layers
