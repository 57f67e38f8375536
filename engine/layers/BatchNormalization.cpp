// BatchNormalization over the channel / feature axis (axis 1 of [N,C,H,W] or [N,F]).
//   training:  y = gamma * (x - mean_B) / sqrt(var_B + eps) + beta, and the moving statistics
//              move towards the batch's: moving = momentum * moving + (1 - momentum) * batch
//   inference: the same with the moving mean and variance
//   backward:  dx = gamma * invstd / N * (N dy - sum dy - xhat sum(dy xhat)),
//              dgamma = sum dy xhat, dbeta = sum dy
//   backward after an inference pass: dx = gamma * dy / sqrt(moving_variance + eps), the
//              gradient of the frozen affine map (deep dream and style transfer differentiate
//              a pretrained network with respect to its input); no weight gradients
// Like Keras, gamma exists only with scale=true and beta only with center=true; the moving
// statistics are non-trainable parameters. A frozen layer (trainable false) runs in inference
// mode while the network trains, as in Keras 2.1.3 on: a pretrained base keeps the statistics
// it learnt, and its outputs do not depend on the batch (so they can be computed once).
// In data-parallel training with synchronised statistics (ctx.sumOverRanks), the batch is the
// global batch: each rank's statistics and backward sums are summed over the ranks, so that N
// ranks compute what one process would.

#include "LayerSupport.h"

namespace loom::layers {
namespace {

class BatchNormalization final : public Layer {
public:
    Shape inferShape(const std::vector<Shape>& inputs) const override {
        const Shape& in = inputs.at(0);
        if (in.rank() != 1 && in.rank() != 3) {
            shapeError("expects features (F,) or an image (C, H, W), got " + in.str());
        }
        return in;
    }

    void build(const std::vector<Shape>& inputs, BuildContext& ctx) override {
        Shape channels{inputs[0][0]};
        parameters().clear();
        if (params().getBool("scale")) {
            addParameter("gamma", channels, "ones", 0, 0, true, ctx);
        }
        if (params().getBool("center")) {
            addParameter("beta", channels, "zeros", 0, 0, true, ctx);
        }
        addParameter("moving_mean", channels, "zeros", 0, 0, false, ctx);
        addParameter("moving_variance", channels, "ones", 0, 0, false, ctx);
    }

    void forward(ExecutionContext& ctx, const std::vector<Tensor>& x, Tensor& y) override {
        ctx.ensure(y, x[0].shape());
        const Tensor& gamma = affine(ctx, "gamma", 1.0, m_unitGamma);
        const Tensor& beta = affine(ctx, "beta", 0.0, m_zeroBeta);
        Tensor& mean = findParameter("moving_mean")->value;
        Tensor& variance = findParameter("moving_variance")->value;
        double eps = params().getFloat("epsilon");
        m_lastPassTrained = ctx.training && trainable();
        if (!m_lastPassTrained) {
            ctx.backend.batchNormForwardInference(x[0], gamma, beta, mean, variance, eps, y);
            return;
        }
        ctx.ensure(m_savedMean, mean.shape());
        ctx.ensure(m_savedInvStd, mean.shape());
        const double momentum = params().getFloat("momentum");
        if (ctx.sumOverRanks) {
            forwardOverRanks(ctx, x[0], gamma, beta, momentum, eps, mean, variance, y);
            return;
        }
        ctx.backend.batchNormForwardTraining(x[0], gamma, beta, momentum, eps, mean, variance, y,
                                             m_savedMean, m_savedInvStd);
    }

    void backward(ExecutionContext& ctx, const std::vector<Tensor>& x, const Tensor&,
                  const Tensor& dy, std::vector<Tensor>& dx,
                  const std::vector<bool>& needDx) override {
        if (!m_lastPassTrained) {
            inferenceBackward(ctx, dy, dx, needDx);
            return;
        }
        const Tensor& gamma = affine(ctx, "gamma", 1.0, m_unitGamma);
        Parameter* gammaParam = findParameter("gamma");
        Parameter* betaParam = findParameter("beta");
        bool weights = wantsWeightGradients();
        Tensor& dgamma = weights && gammaParam ? gradientOf(ctx, *gammaParam) : m_scratchDGamma;
        Tensor& dbeta = weights && betaParam ? gradientOf(ctx, *betaParam) : m_scratchDBeta;
        ctx.ensure(m_scratchDGamma, gamma.shape());
        ctx.ensure(m_scratchDBeta, gamma.shape());
        // dx is always computed by the op; without a consumer it goes to a scratch buffer.
        Tensor& target = needDx[0] ? dx[0] : m_scratchDx;
        ctx.ensure(target, x[0].shape());
        ctx.backend.batchNormBackward(x[0], dy, gamma, m_savedMean, m_savedInvStd, target, dgamma,
                                      dbeta);
        if (ctx.sumOverRanks) {
            correctForOtherRanks(ctx, x[0], gamma, dgamma, dbeta, target);
        }
    }

private:
    // The rank's own statistics (the training op's, which also gives its moving statistics a
    // step we take back), summed over the ranks as n mean, n variance, n mean^2 and n; then
    // the output and the moving statistics from the global batch's.
    void forwardOverRanks(ExecutionContext& ctx, const Tensor& x, const Tensor& gamma,
                          const Tensor& beta, double momentum, double eps, Tensor& movingMean,
                          Tensor& movingVariance, Tensor& y) {
        const std::vector<float> oldMean = movingMean.toHost().toVector();
        const std::vector<float> oldVariance = movingVariance.toHost().toVector();
        ctx.backend.batchNormForwardTraining(x, gamma, beta, momentum, eps, movingMean,
                                             movingVariance, y, m_savedMean, m_savedInvStd);
        const std::vector<float> mean = m_savedMean.toHost().toVector();
        const std::vector<float> invStd = m_savedInvStd.toHost().toVector();
        const size_t channels = mean.size();
        const double n = double(x.numel()) / double(channels);
        std::vector<float> sums(3 * channels + 1);
        for (size_t c = 0; c < channels; ++c) {
            const double variance = 1.0 / (double(invStd[c]) * invStd[c]) - eps;
            sums[c] = float(n * mean[c]);
            sums[channels + c] = float(n * variance);
            sums[2 * channels + c] = float(n * mean[c] * mean[c]);
        }
        sums[3 * channels] = float(n);
        ctx.sumOverRanks(sums);
        const double total = sums[3 * channels];
        m_globalCount = total;
        std::vector<float> globalMean(channels), globalVariance(channels), globalInvStd(channels);
        std::vector<float> newMean(channels), newVariance(channels);
        for (size_t c = 0; c < channels; ++c) {
            const double m = sums[c] / total;
            const double v = std::max(
                0.0, (double(sums[channels + c]) + sums[2 * channels + c]) / total - m * m);
            globalMean[c] = float(m);
            globalVariance[c] = float(v);
            globalInvStd[c] = float(1.0 / std::sqrt(v + eps));
            newMean[c] = float(momentum * oldMean[c] + (1 - momentum) * m);
            const double unbiased = total > 1 ? v * total / (total - 1) : v;
            newVariance[c] = float(momentum * oldVariance[c] + (1 - momentum) * unbiased);
        }
        const Shape shape{int64_t(channels)};
        movingMean.copyFrom(Tensor::fromVector(shape, newMean));
        movingVariance.copyFrom(Tensor::fromVector(shape, newVariance));
        m_savedMean.copyFrom(Tensor::fromVector(shape, globalMean));
        m_savedInvStd.copyFrom(Tensor::fromVector(shape, globalInvStd));
        ctx.ensure(m_globalVariance, shape);
        m_globalVariance.copyFrom(Tensor::fromVector(shape, globalVariance));
        ctx.backend.batchNormForwardInference(x, gamma, beta, m_savedMean, m_globalVariance, eps,
                                              y);
    }

    // The op's dx subtracted this rank's mean of dy and of dy xhat; the global batch's are
    // the sums over the ranks, each rank's weighted by its share of the global batch (its dy
    // is of its own mean loss). The difference is, per channel, a + b xhat: the inference op
    // computes it with gamma b and beta a.
    void correctForOtherRanks(ExecutionContext& ctx, const Tensor& x, const Tensor& gamma,
                              const Tensor& dgamma, const Tensor& dbeta, Tensor& dx) {
        const std::vector<float> localDGamma = dgamma.toHost().toVector();
        const std::vector<float> localDBeta = dbeta.toHost().toVector();
        const size_t channels = localDGamma.size();
        const double n = double(x.numel()) / double(channels);
        const double share = n / m_globalCount;
        std::vector<float> sums(2 * channels);
        for (size_t c = 0; c < channels; ++c) {
            sums[c] = float(share * localDBeta[c]);
            sums[channels + c] = float(share * localDGamma[c]);
        }
        ctx.sumOverRanks(sums);
        const std::vector<float> g = gamma.toHost().toVector();
        const std::vector<float> invStd = m_savedInvStd.toHost().toVector();
        std::vector<float> a(channels), b(channels);
        for (size_t c = 0; c < channels; ++c) {
            const double scale = double(g[c]) * invStd[c] / n;
            a[c] = float(scale * (localDBeta[c] - sums[c]));
            b[c] = float(scale * (localDGamma[c] - sums[channels + c]));
        }
        const Shape shape{int64_t(channels)};
        ctx.ensure(m_correctionScale, shape);
        ctx.ensure(m_correctionShift, shape);
        m_correctionScale.copyFrom(Tensor::fromVector(shape, b));
        m_correctionShift.copyFrom(Tensor::fromVector(shape, a));
        ctx.ensure(m_correction, x.shape());
        ctx.backend.batchNormForwardInference(x, m_correctionScale, m_correctionShift, m_savedMean,
                                              m_globalVariance, params().getFloat("epsilon"),
                                              m_correction);
        ctx.backend.add(dx, m_correction, dx);
    }

    // The inference map is affine per channel, so its dx is that map applied to dy with a
    // zero mean and a zero shift: the forward op computes it on every device.
    void inferenceBackward(ExecutionContext& ctx, const Tensor& dy, std::vector<Tensor>& dx,
                           const std::vector<bool>& needDx) {
        if (wantsWeightGradients()) {
            throw Error(describe() +
                        ": weight gradients need a forward pass in training mode (freeze the "
                        "layer to differentiate it in inference mode)");
        }
        if (!needDx[0]) {
            return;
        }
        const Tensor& gamma = affine(ctx, "gamma", 1.0, m_unitGamma);
        const Tensor& variance = findParameter("moving_variance")->value;
        const Tensor previous = m_zeroShift;
        ctx.ensure(m_zeroShift, variance.shape());
        if (!m_zeroShift.sharesStorageWith(previous)) {
            ctx.backend.fill(m_zeroShift, 0.0);
        }
        ctx.ensure(dx[0], dy.shape());
        ctx.backend.batchNormForwardInference(dy, gamma, m_zeroShift, m_zeroShift, variance,
                                              params().getFloat("epsilon"), dx[0]);
    }

    // gamma or beta when the layer has it, else a constant (ones / zeros) of the right size.
    const Tensor& affine(ExecutionContext& ctx, const std::string& which, double value,
                         Tensor& constant) {
        if (Parameter* p = findParameter(which)) {
            return p->value;
        }
        const Tensor& mean = findParameter("moving_mean")->value;
        if (!constant.defined() || constant.shape() != mean.shape()) {
            ctx.ensure(constant, mean.shape());
            ctx.backend.fill(constant, value);
        }
        return constant;
    }

    Tensor m_unitGamma, m_zeroBeta, m_zeroShift, m_savedMean, m_savedInvStd;
    // Synchronised statistics: the global batch's size and variance, and backward's
    // correction of dx (per channel, its scale and shift, then the whole of it).
    double m_globalCount = 0;
    Tensor m_globalVariance, m_correctionScale, m_correctionShift, m_correction;
    bool m_lastPassTrained = false;
    Tensor m_scratchDGamma, m_scratchDBeta, m_scratchDx;
};

KerasLayerImport fromKeras(const KerasLayerReader& r) {
    if (r.axis() != 1) {
        r.fail("only the channel axis can be normalised in Loom");
    }
    const nlohmann::json& cfg = r.config();
    return r.sameRank("BatchNormalization", {{"momentum", cfg.value("momentum", 0.99)},
                                             {"epsilon", cfg.value("epsilon", 1e-3)},
                                             {"center", cfg.value("center", true)},
                                             {"scale", cfg.value("scale", true)}});
}

void toKeras(KerasLayerWriter& w) {
    const ParamSet& p = w.params();
    w.config().update({{"axis", -1},
                       {"momentum", p.getFloat("momentum")},
                       {"epsilon", p.getFloat("epsilon")},
                       {"center", p.getBool("center")},
                       {"scale", p.getBool("scale")},
                       {"beta_initializer", KerasLayerWriter::initializer("zeros")},
                       {"gamma_initializer", KerasLayerWriter::initializer("ones")},
                       {"moving_mean_initializer", KerasLayerWriter::initializer("zeros")},
                       {"moving_variance_initializer", KerasLayerWriter::initializer("ones")},
                       {"beta_regularizer", nullptr},
                       {"gamma_regularizer", nullptr},
                       {"beta_constraint", nullptr},
                       {"gamma_constraint", nullptr}});
}

/// ONNX always scales and shifts: a layer without gamma or beta exports ones or zeros.
void toOnnx(OnnxLayerWriter& w) {
    const Shape channels{w.outputShape()[0]};
    const std::string scale = w.params().getBool("scale")
                                  ? w.addWeight("gamma")
                                  : w.addConstant("gamma", Tensor::full(channels, 1.0));
    const std::string shift = w.params().getBool("center")
                                  ? w.addWeight("beta")
                                  : w.addConstant("beta", Tensor::zeros(channels));
    w.addNode("BatchNormalization",
              {w.input(), scale, shift, w.addWeight("moving_mean"), w.addWeight("moving_variance")},
              w.output())
        .attributes = {
        OnnxLayerWriter::floatAttribute("epsilon", w.params().getFloat("epsilon")),
        OnnxLayerWriter::floatAttribute("momentum", w.params().getFloat("momentum"))};
}

void convertBatchNorm(OnnxImporter& imp, const OnnxNode& node) {
    const std::string input = imp.layerInput(node, 0);
    const Shape sample = imp.shapeOf(input);
    const int64_t channels = sample[0];
    static const char* const names[] = {"gamma", "beta", "moving_mean", "moving_variance"};
    std::vector<Tensor> weights;
    for (size_t i = 1; i <= 4; ++i) {
        weights.push_back(imp.constant(node, i));
        if (weights.back().numel() != channels) {
            imp.fail(node, "input '" + node.inputs[i] + "' holds " +
                               std::to_string(weights.back().numel()) + " values for " +
                               std::to_string(channels) + " channels");
        }
    }
    if (node.getInt("spatial", 1) != 1 || node.getInt("training_mode", 0) != 0) {
        imp.fail(node, "only inference-mode, per-channel batch normalisation maps to Loom");
    }
    // Loom's layer takes [F] or [C, H, W]; ONNX's normalises axis 1 of any rank, which a
    // [C, rest, 1] view gives.
    const bool wrapped = sample.rank() != 1 && sample.rank() != 3;
    const std::string in =
        wrapped ? imp.addReshape(node, input, Shape{channels, sample.numel() / channels, 1}, "_3d")
                : input;
    const std::string bn = imp.addLayer(node, "BatchNormalization",
                                        {{"epsilon", node.getFloat("epsilon", 1e-5f)},
                                         {"momentum", node.getFloat("momentum", 0.9f)},
                                         {"center", true},
                                         {"scale", true}},
                                        {in});
    for (size_t i = 0; i < weights.size(); ++i) {
        imp.setWeight(bn, names[i], weights[i].reshape(Shape{channels}));
    }
    imp.bindLayer(imp.output(node), wrapped ? imp.addReshape(node, bn, sample, "_shape") : bn);
}

LayerKind kind() {
    LayerKind k;
    k.type = "BatchNormalization";
    k.category = "Normalisation";
    k.description = "Normalises each channel with batch statistics, then scales and shifts";
    k.params = {
        ParamSpec::integer("axis", 1, 1, 1, "The channel axis (Loom is channels-first)"),
        ParamSpec::real("momentum", 0.99, 0.0, 1.0, "How slowly the moving statistics change"),
        ParamSpec::real("epsilon", 1e-3, 1e-12, 1.0, "Added to the variance for stability"),
        ParamSpec::boolean("center", true, "Learn a shift (beta)"),
        ParamSpec::boolean("scale", true, "Learn a scale (gamma)"),
    };
    k.keras.className = "BatchNormalization";
    k.keras.read = fromKeras;
    k.keras.write = toKeras;
    k.keras.weightOrder = {"gamma", "beta", "moving_mean", "moving_variance"};
    k.onnx.write = toOnnx;
    k.onnx.readers = {{"BatchNormalization", convertBatchNorm}};
    k.create = [] { return std::make_unique<BatchNormalization>(); };
    return k;
}

LOOM_REGISTER_LAYER(BatchNormalization, kind());

}  // namespace
}  // namespace loom::layers
