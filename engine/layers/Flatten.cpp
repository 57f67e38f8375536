// Flatten: [N, C, H, W] -> [N, C*H*W] in channels-first order. A view: no data moves.

#include "ViewLayer.h"

namespace loom::layers {
namespace {

class Flatten final : public ViewLayer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        return Shape{inputs.at(0).numel()};
    }
};

KerasLayerImport fromKeras(const KerasLayerReader&) {
    return {"Flatten", nlohmann::json::object(), 1};
}

void toKeras(KerasLayerWriter& w) {
    w.config()["data_format"] = "channels_last";
}

void toOnnx(OnnxLayerWriter& w) {
    w.addNode("Flatten", {w.input()}, w.output()).attributes = {
        OnnxLayerWriter::intAttribute("axis", 1)};
}

void convertFlatten(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const int64_t rank = imp.rankOf(input);
    const int64_t axis = node.getInt("axis", 1);
    if (axis != 1 && axis != 1 - rank) {
        imp.fail(node, "flattens at axis " + std::to_string(axis) +
                           ", which mixes the batch axis with the others; Loom flattens at 1");
    }
    imp.bindLayer(imp.output(node),
                  imp.addLayer(node, "Flatten", nlohmann::json::object(), {input}));
}

LayerKind kind() {
    LayerKind k;
    k.type = "Flatten";
    k.category = "Core";
    k.description = "Turns each sample into a flat vector";
    k.keras.className = "Flatten";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = toOnnx;
    k.onnx.readers = {{"Flatten", convertFlatten}};
    k.create = [] { return std::make_unique<Flatten>(); };
    return k;
}

LOOM_REGISTER_LAYER(Flatten, kind());

}  // namespace
}  // namespace loom::layers
