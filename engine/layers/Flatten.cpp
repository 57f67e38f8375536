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
