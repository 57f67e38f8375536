// ZeroPadding2D: adds rows and columns of zeros around each image.
//   forward:  y[n,c,h+top,w+left] = x[n,c,h,w], zeros elsewhere
//   backward: dx = the interior of dy

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class ZeroPadding2D final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = singleInput(*this, inputs, 3, "an image (channels, height, width)");
        Padding2D p = padding();
        return Shape{in[0], in[1] + p.top + p.bottom, in[2] + p.left + p.right};
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        ctx.ensure(y, inferShape({x[0].shape().withoutBatch()}).withBatch(x[0].dim(0)));
        ctx.backend.pad2dForward(x[0], padding(), y);
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        if (needDx[0]) {
            ctx.ensure(dx[0], x[0].shape());
            ctx.backend.pad2dBackward(dy, padding(), dx[0]);
        }
    }

private:
    // One value pads every side, two are (rows, columns), four are top, bottom, left, right.
    Padding2D padding() const {
        std::vector<int64_t> v = params().getInts("padding");
        if (v.size() == 3) {
            shapeError("padding takes 1, 2 or 4 values, not 3");
        }
        auto at = [&](size_t i) { return static_cast<int>(v[i]); };
        if (v.size() == 1) {
            return {at(0), at(0), at(0), at(0)};
        }
        if (v.size() == 2) {
            return {at(0), at(0), at(1), at(1)};
        }
        return {at(0), at(1), at(2), at(3)};
    }
};

LayerKind kind() {
    LayerKind k;
    k.type = "ZeroPadding2D";
    k.category = "Convolution";
    k.description = "Adds rows and columns of zeros around each image";
    k.params = {ParamSpec::intList("padding", {1}, 1, 4, 0, 4096,
                                   "1 value: every side; 2: rows, columns; 4: top, bottom, "
                                   "left, right")};
    k.kerasClass = "ZeroPadding2D";
    k.onnxOp = "Pad";
    k.create = [] { return std::make_unique<ZeroPadding2D>(); };
    return k;
}

LOOM_REGISTER_LAYER(ZeroPadding2D, kind());

}  // namespace
}  // namespace loom::layers
