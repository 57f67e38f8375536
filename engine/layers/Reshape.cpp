// Reshape: gives each sample a new shape with the same number of elements (row-major order);
// one -1 in target_shape takes whatever size is left. A view: no data moves.

#include "ViewLayer.h"

#include <algorithm>

namespace loom::layers {
namespace {

class Reshape final : public ViewLayer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = inputs.at(0);
        std::vector<int64_t> dims = params().getInts("target_shape");
        int64_t known = 1;
        int wildcards = 0;
        for (int64_t d : dims) {
            if (d == -1) {
                ++wildcards;
            } else if (d == 0) {
                shapeError("target_shape sizes must be positive or a single -1");
            } else {
                known *= d;
            }
        }
        if (wildcards > 1) {
            shapeError("target_shape may contain at most one -1");
        }
        if (wildcards == 1 && known > 0 && in.numel() % known == 0) {
            std::replace(dims.begin(), dims.end(), int64_t{-1}, in.numel() / known);
        }
        Shape out(dims);
        if (out.numel() != in.numel() || out.numel() <= 0) {
            shapeError("cannot reshape " + in.str() + " (" + std::to_string(in.numel()) +
                       " elements) to target_shape " +
                       Shape(params().getInts("target_shape")).str());
        }
        return out;
    }
};

LayerKind kind() {
    LayerKind k;
    k.type = "Reshape";
    k.category = "Core";
    k.description = "Gives each sample a new shape with the same number of elements";
    k.params = {ParamSpec::intList("target_shape", {-1}, 1, 4, -1, 1 << 24,
                                   "New per-sample shape; one -1 takes the remaining size")};
    k.kerasClass = "Reshape";
    k.onnxOp = "Reshape";
    k.create = [] { return std::make_unique<Reshape>(); };
    return k;
}

LOOM_REGISTER_LAYER(Reshape, kind());

}  // namespace
}  // namespace loom::layers
