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
// statistics are non-trainable parameters.

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
        m_lastPassTrained = ctx.training;
        if (!ctx.training) {
            ctx.backend.batchNormForwardInference(x[0], gamma, beta, mean, variance, eps, y);
            return;
        }
        ctx.ensure(m_savedMean, mean.shape());
        ctx.ensure(m_savedInvStd, mean.shape());
        ctx.backend.batchNormForwardTraining(x[0], gamma, beta, params().getFloat("momentum"), eps,
                                             mean, variance, y, m_savedMean, m_savedInvStd);
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
    }

private:
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
    bool m_lastPassTrained = false;
    Tensor m_scratchDGamma, m_scratchDBeta, m_scratchDx;
};

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
    k.kerasClass = "BatchNormalization";
    k.onnxOp = "BatchNormalization";
    k.create = [] { return std::make_unique<BatchNormalization>(); };
    return k;
}

LOOM_REGISTER_LAYER(BatchNormalization, kind());

}  // namespace
}  // namespace loom::layers
