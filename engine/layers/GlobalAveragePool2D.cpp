// GlobalAveragePool2D: the mean of each channel over all positions.
//   forward:  y[n,c] = mean_{h,w} x[n,c,h,w]
//   backward: dx[n,c,h,w] = dy[n,c] / (H*W)

#include "LayerSupport.h"
#include "io/OnnxWindow.h"

namespace loom::layers {
namespace {

class GlobalAveragePool2D final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = singleInput(*this, inputs, 3, "an image (channels, height, width)");
        return Shape{in[0]};
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        ctx.ensure(y, Shape{x[0].dim(0), x[0].dim(1)});
        ctx.backend.globalAveragePoolForward(x[0], y);
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        if (needDx[0]) {
            ctx.ensure(dx[0], x[0].shape());
            ctx.backend.globalAveragePoolBackward(dy, dx[0]);
        }
    }
};

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    if (r.config().value("keepdims", false)) {
        r.fail("keepdims is not supported");
    }
    return {"GlobalAveragePool2D", nlohmann::json::object(), 1};
}

void toKeras(KerasLayerWriter& w) {
    w.config()["data_format"] = "channels_last";
}

/// ONNX keeps the pooled axes as 1x1; Loom's layer drops them.
void toOnnx(OnnxLayerWriter& w) {
    const std::string pooled = w.layer().name() + "/pooled";
    w.addNode("GlobalAveragePool", {w.input()}, pooled);
    w.addNode("Flatten", {pooled}, w.output(), "/flatten").attributes = {
        OnnxLayerWriter::intAttribute("axis", 1)};
}

void convertGlobalAveragePool(OnnxImporter& imp, const OnnxNode& node) {
    const Image x = imageInput(imp, node);
    const std::string pool =
        imp.addLayer(node, "GlobalAveragePool2D", nlohmann::json::object(), {x.layer});
    // ONNX keeps the pooled axes as 1x1, Loom's layer drops them; a Flatten right after (how
    // classifiers end) is what Loom's layer already gives.
    const OnnxNode* next = imp.soleConsumer(imp.output(node));
    if (next != nullptr && next->opType == "Flatten" && next->domain.empty() &&
        next->getInt("axis", 1) == 1 && !next->outputs.empty()) {
        imp.absorb(*next);
        imp.bindLayer(imp.output(*next), pool);
        return;
    }
    const int64_t channels = imp.shapeOf(pool)[0];
    imp.bindLayer(imp.output(node),
                  imp.addReshape(node, pool, x.lifted ? Shape{channels, 1} : Shape{channels, 1, 1},
                                 "_keepdims"));
}

LayerKind kind() {
    LayerKind k;
    k.type = "GlobalAveragePool2D";
    k.category = "Pooling";
    k.description = "Mean of each channel over the whole image";
    k.keras.className = "GlobalAveragePooling2D";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = toOnnx;
    k.onnx.readers = {{"GlobalAveragePool", convertGlobalAveragePool}};
    k.create = [] { return std::make_unique<GlobalAveragePool2D>(); };
    return k;
}

LOOM_REGISTER_LAYER(GlobalAveragePool2D, kind());

}  // namespace
}  // namespace loom::layers
