// Dropout (inverted): while training, each element is zeroed with probability `rate` and the
// rest scaled by 1/(1-rate), so inference needs no rescaling.
//   forward:  y = x * mask   (mask in {0, 1/(1-rate)}, drawn from a counter-based generator)
//   backward: dx = dy * mask
// At inference y = x.

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class Dropout final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override { return inputs.at(0); }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        double rate = params().getFloat("rate");
        m_maskActive = ctx.training && rate > 0.0;
        if (!m_maskActive) {
            y = x[0];
            return;
        }
        ctx.ensure(y, x[0].shape());
        ctx.ensure(m_mask, x[0].shape());
        // Per layer and step, so masks differ between layers and batches but replay exactly.
        uint64_t seed = ctx.seed ^ stableHash(name());
        const int64_t perSample = x[0].numel() / std::max<int64_t>(x[0].dim(0), 1);
        const int64_t batch = ctx.globalBatch > 0 ? ctx.globalBatch : x[0].dim(0);
        const uint64_t offset = ctx.step * static_cast<uint64_t>(batch * perSample) +
                                static_cast<uint64_t>(ctx.batchOffset * perSample);
        ctx.backend.dropoutForward(x[0], rate, seed, offset, m_mask, y);
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>&, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        if (!needDx[0]) {
            return;
        }
        if (!m_maskActive) {
            dx[0] = dy;
            return;
        }
        ctx.ensure(dx[0], dy.shape());
        ctx.backend.multiply(dy, m_mask, dx[0]);
    }

private:
    Tensor m_mask;
    bool m_maskActive = false;
};

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    return r.sameRank("Dropout", {{"rate", r.config().value("rate", 0.5)}});
}

void toKeras(KerasLayerWriter& w) {
    w.config().update(
        {{"rate", w.params().getFloat("rate")}, {"noise_shape", nullptr}, {"seed", nullptr}});
}

void toOnnx(OnnxLayerWriter& w) {
    w.addNode("Dropout", {w.input(), w.addScalar("ratio", w.params().getFloat("rate"))},
              w.output());
}

void convertDropout(OnnxImporter& imp, const OnnxNode& node) {
    double ratio = node.getFloat("ratio", 0.5f);
    if (imp.opset() >= 12) {  // ratio and training_mode became inputs
        const bool training = imp.hasInput(node, 2) && imp.constant(node, 2).at(0) != 0.0;
        if (training) {
            imp.fail(node, "training_mode is true; an exported model runs in inference mode");
        }
        ratio = imp.hasInput(node, 1) ? imp.constant(node, 1).at(0) : 0.5;
    }
    imp.bindLayer(imp.output(node),
                  imp.addLayer(node, "Dropout", {{"rate", ratio}}, {imp.layerInput(node, 0)}));
}

LayerKind kind() {
    LayerKind k;
    k.type = "Dropout";
    k.category = "Regularisation";
    k.description = "While training, zeroes a random fraction of its inputs";
    k.params = {ParamSpec::real("rate", 0.5, 0.0, 0.99, "Fraction of inputs to drop")};
    k.keepsElementOrder = true;
    k.keras.className = "Dropout";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.onnx.write = toOnnx;
    k.onnx.readers = {{"Dropout", convertDropout}};
    k.create = [] { return std::make_unique<Dropout>(); };
    return k;
}

LOOM_REGISTER_LAYER(Dropout, kind());

}  // namespace
}  // namespace loom::layers
