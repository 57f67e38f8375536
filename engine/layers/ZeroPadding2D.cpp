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

/// Keras' int, (rows, cols) or ((top, bottom), (left, right)) -> Loom's 1, 2 or 4 values.
KerasLayerImport fromKeras(const KerasLayerReader& r) {
    const nlohmann::json v = r.config().value("padding", nlohmann::json(1));
    std::vector<int64_t> padding;
    if (v.is_number_integer()) {
        padding = {v.get<int64_t>()};
    } else if (v.is_array() && v.size() == 2 && v[0].is_array()) {
        padding = {v[0].at(0), v[0].at(1), v[1].at(0), v[1].at(1)};
    } else {
        padding = {v.at(0).get<int64_t>(), v.at(1).get<int64_t>()};
    }
    return {"ZeroPadding2D", {{"padding", padding}}, 3};
}

void toKeras(KerasLayerWriter& w) {
    const Padding2D p = static_cast<const ZeroPadding2D&>(w.layer()).padding();
    w.config()["padding"] = {{p.top, p.bottom}, {p.left, p.right}};
    w.config()["data_format"] = "channels_last";
}

void toOnnx(OnnxLayerWriter& w) {
    const Padding2D p = static_cast<const ZeroPadding2D&>(w.layer()).padding();
    // ONNX orders pads as every axis' start, then every axis' end: [N, C, H, W] twice.
    w.addNode("Pad",
              {w.input(), w.addInt64s("pads", {0, 0, p.top, p.left, 0, 0, p.bottom, p.right})},
              w.output());
}

void convertPad(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const Shape& sample = imp.shapeOf(input);
    const std::string mode = node.getString("mode", "constant");
    // Opset 11 moved pads and the fill value from attributes to inputs (and 18 added axes).
    const bool asInputs = imp.opset() >= 11;
    const std::vector<int64_t> pads =
        asInputs ? imp.constantInts(node, 1) : node.getInts("pads", {});
    const double value = asInputs ? (imp.hasInput(node, 2) ? imp.constant(node, 2).at(0) : 0.0)
                                  : node.getFloat("value", 0.0f);
    if (mode != "constant" || value != 0.0 || imp.hasInput(node, 3)) {
        imp.fail(node, "pads in mode '" + mode + "' with " + std::to_string(value) +
                           "; Loom's ZeroPadding2D pads images with zeros only");
    }
    if (sample.rank() != 3 || pads.size() != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 ||
        pads[5] != 0 || *std::min_element(pads.begin(), pads.end()) < 0) {
        imp.fail(node, "pads " + onnxListText(pads) + " on samples of shape " + sample.str() +
                           "; Loom pads the height and width of images, and never crops");
    }
    // ONNX lists every axis' start, then every axis' end; Loom top, bottom, left, right.
    imp.bindLayer(imp.output(node),
                  imp.addLayer(node, "ZeroPadding2D",
                               {{"padding", {pads[2], pads[6], pads[3], pads[7]}}}, {input}));
}

LayerKind kind() {
    LayerKind k;
    k.type = "ZeroPadding2D";
    k.category = "Convolution";
    k.description = "Adds rows and columns of zeros around each image";
    k.params = {ParamSpec::intList("padding", {1}, 1, 4, 0, 4096,
                                   "1 value: every side; 2: rows, columns; 4: top, bottom, "
                                   "left, right")};
    k.keras.className = "ZeroPadding2D";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = toOnnx;
    k.onnx.readers = {{"Pad", convertPad}};
    k.create = [] { return std::make_unique<ZeroPadding2D>(); };
    return k;
}

LOOM_REGISTER_LAYER(ZeroPadding2D, kind());

}  // namespace
}  // namespace loom::layers
