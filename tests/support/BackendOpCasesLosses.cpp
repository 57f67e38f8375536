// Cases of the loss kernels (each with and without its gradient) and of the optimizer updates
// (three steps from seeded gradients), against Keras' formulas written out in float64.

#include "BackendOpCaseBuilders.h"

#include <algorithm>
#include <cmath>

namespace loom::test::cases {

namespace {

constexpr DType kDtypes[] = {DType::F32, DType::F64};

// ---- losses -------------------------------------------------------------------------------

constexpr int64_t kRows = 37, kClasses = 11;
constexpr double kClip = 1e-7;

// Rows of probabilities (each sums to 1); with extremes, some pushed to exactly 0 and 1 to
// exercise the clip.
Tensor probabilities(DType dt, uint64_t seed, bool extremes) {
    Tensor p = seeded({kRows, kClasses}, DType::F64, seed, 0.01, 1);
    for (int64_t i = 0; i < kRows; ++i) {
        double total = 0;
        for (int64_t c = 0; c < kClasses; ++c) {
            total += p.at(i * kClasses + c);
        }
        for (int64_t c = 0; c < kClasses; ++c) {
            p.set(i * kClasses + c, p.at(i * kClasses + c) / total);
        }
    }
    if (extremes) {
        p.set(0, 0.0);
        p.set(1, 1.0);
        p.set(2, 1e-9);
    }
    return p.to(dt);
}

Tensor oneHot(DType dt, uint64_t seed) {
    Tensor t = Tensor::zeros({kRows, kClasses}, dt);
    for (int64_t i = 0; i < kRows; ++i) {
        t.set(i * kClasses + int64_t(counterUniform(seed, uint64_t(i)) * double(kClasses)), 1.0);
    }
    return t;
}

// The prediction and the target a loss is given.
std::pair<Tensor, Tensor> lossInputs(BackendOp op, DType dt) {
    const uint64_t seed = seedOf(std::string("loss ") + opName(op));
    const Shape shape{kRows, kClasses};
    switch (op) {
        case BackendOp::softmaxCrossEntropy:
            return {seeded(shape, dt, seed, -4, 4), probabilities(dt, seed + 1, false)};
        case BackendOp::sparseSoftmaxCrossEntropy: {
            Tensor labels = Tensor::zeros({kRows}, dt);
            for (int64_t i = 0; i < kRows; ++i) {
                labels.set(i, double(i * 7 % kClasses));
            }
            return {seeded(shape, dt, seed, -4, 4), labels};
        }
        case BackendOp::crossEntropy:
            return {probabilities(dt, seed, true), oneHot(dt, seed + 1)};
        case BackendOp::sigmoidBinaryCrossEntropy:
            return {seeded(shape, dt, seed, -6, 6), seeded(shape, dt, seed + 1, 0, 1)};
        case BackendOp::binaryCrossEntropy:
            return {probabilities(dt, seed, true), seeded(shape, dt, seed + 1, 0, 1)};
        default:  // meanSquaredError
            return {seeded(shape, dt, seed, -3, 3), seeded(shape, dt, seed + 1, -3, 3)};
    }
}

void runLoss(Backend& b, BackendOp op, const Tensor& pred, const Tensor& target, Tensor& loss,
             Tensor* grad) {
    switch (op) {
        case BackendOp::softmaxCrossEntropy:
            return b.softmaxCrossEntropy(pred, target, loss, grad);
        case BackendOp::sparseSoftmaxCrossEntropy:
            return b.sparseSoftmaxCrossEntropy(pred, target, loss, grad);
        case BackendOp::crossEntropy:
            return b.crossEntropy(pred, target, kClip, loss, grad);
        case BackendOp::sigmoidBinaryCrossEntropy:
            return b.sigmoidBinaryCrossEntropy(pred, target, loss, grad);
        case BackendOp::binaryCrossEntropy:
            return b.binaryCrossEntropy(pred, target, kClip, loss, grad);
        default:
            return b.meanSquaredError(pred, target, loss, grad);
    }
}

double clip(double p) {
    return std::clamp(p, kClip, 1.0 - kClip);
}

// v as a tensor of dtype holds it.
double asDtype(double v, DType dt) {
    return dt == DType::F32 ? double(static_cast<float>(v)) : v;
}

bool insideClip(double p) {
    return p >= kClip && p <= 1.0 - kClip;
}

// The mean loss and its gradient in float64. The clip is applied to the probability as the
// dtype holds it; like tf.clip_by_value it passes no gradient where it was active.
std::pair<double, Tensor> referenceLoss(BackendOp op, DType dt, const Tensor& predT,
                                        const Tensor& targetT) {
    const Tensor z = f64(predT), t = f64(targetT);
    Tensor g = Tensor::zeros({kRows, kClasses}, DType::F64);
    const double count = double(z.numel());
    double total = 0;
    if (op == BackendOp::softmaxCrossEntropy || op == BackendOp::sparseSoftmaxCrossEntropy) {
        for (int64_t i = 0; i < kRows; ++i) {
            double m = z.at(i * kClasses), sum = 0;
            for (int64_t c = 1; c < kClasses; ++c) {
                m = std::max(m, z.at(i * kClasses + c));
            }
            for (int64_t c = 0; c < kClasses; ++c) {
                sum += std::exp(z.at(i * kClasses + c) - m);
            }
            const double lse = m + std::log(sum);
            for (int64_t c = 0; c < kClasses; ++c) {
                const int64_t j = i * kClasses + c;
                const double target = op == BackendOp::softmaxCrossEntropy
                                          ? t.at(j)
                                          : (double(c) == t.at(i) ? 1.0 : 0.0);
                total += target * (lse - z.at(j));
                g.set(j, (std::exp(z.at(j) - lse) - target) / double(kRows));
            }
        }
        return {total / double(kRows), g};
    }
    for (int64_t i = 0; i < z.numel(); ++i) {
        const double p = z.at(i), ti = t.at(i);
        double gi = 0;
        switch (op) {
            case BackendOp::crossEntropy:
                // Clipped as the dtype holds the bound; the mean is over samples.
                total += ti == 0 ? 0 : -ti * std::log(asDtype(clip(p), dt));
                gi = insideClip(p) ? -ti / (p * double(kRows)) : 0;
                break;
            case BackendOp::sigmoidBinaryCrossEntropy:
                total += std::max(p, 0.0) - p * ti + std::log1p(std::exp(-std::abs(p)));
                gi = (1 / (1 + std::exp(-p)) - ti) / count;
                break;
            case BackendOp::binaryCrossEntropy: {
                const double pc = clip(p);
                total += -(ti * std::log(pc) + (1 - ti) * std::log(1 - pc));
                gi = insideClip(p) ? (-ti / pc + (1 - ti) / (1 - pc)) / count : 0;
                break;
            }
            default:  // meanSquaredError
                total += (p - ti) * (p - ti);
                gi = 2 * (p - ti) / count;
                break;
        }
        g.set(i, gi);
    }
    return {total / (op == BackendOp::crossEntropy ? double(kRows) : count), g};
}

void addLossCasesOf(std::vector<OpCase>& table, BackendOp op, DType dt, bool withGradient) {
    // Loss and gradient compared with one tolerance: the loss' (a sum), the larger of the two.
    addCase(
        table, op, withGradient ? "with gradient" : "loss only", dt, kReduction,
        [=](Backend& b) {
            const auto [pred, target] = lossInputs(op, dt);
            Tensor loss = unwritten(b, {1}, dt), grad = unwritten(b, pred.shape(), dt);
            runLoss(b, op, onDevice(b, pred), onDevice(b, target), loss,
                    withGradient ? &grad : nullptr);
            Outputs out = {{"loss", loss}};
            if (withGradient) {
                out.push_back({"gradient", grad});
            }
            return out;
        },
        [=] {
            const auto [pred, target] = lossInputs(op, dt);
            const auto [loss, grad] = referenceLoss(op, dt, pred, target);
            Outputs out = {{"loss", Tensor::full({1}, loss, DType::F64)}};
            if (withGradient) {
                out.push_back({"gradient", grad});
            }
            return out;
        });
}

// ---- optimizers ---------------------------------------------------------------------------

enum class Update { Sgd, Momentum, Nesterov, Rmsprop, Adagrad, Adam, AdamW };

constexpr int kSteps = 3;
const Shape kWeights{19, 23};

struct OptimizerState {
    Tensor w, s1, s2;  ///< weights, first state (velocity, accumulator, m), Adam's v
};

OptimizerState initialState(Update u, DType dt, uint64_t seed) {
    const Tensor zero = Tensor::zeros(kWeights, dt);
    return {seeded(kWeights, dt, seed),
            u == Update::Adagrad ? Tensor::full(kWeights, 0.1, dt) : zero.clone(), zero.clone()};
}

Tensor gradient(DType dt, uint64_t seed, int step) {
    return seeded(kWeights, dt, seed + uint64_t(step) * 17);
}

// One step of Keras' formulas (see Backend.h), element by element in float64.
void referenceStep(Update u, int step, double g, double& w, double& s1, double& s2) {
    switch (u) {
        case Update::Sgd:
            w -= 0.1 * g;
            break;
        case Update::Momentum:
        case Update::Nesterov:
            s1 = 0.9 * s1 - 0.1 * g;
            w += u == Update::Nesterov ? 0.9 * s1 - 0.1 * g : s1;
            break;
        case Update::Rmsprop:
            s1 = 0.9 * s1 + 0.1 * g * g;
            w -= 0.01 * g / (std::sqrt(s1) + 1e-7);
            break;
        case Update::Adagrad:
            s1 += g * g;
            w -= 0.01 * g / (std::sqrt(s1) + 1e-7);
            break;
        case Update::Adam:
        case Update::AdamW: {
            const double lr = 0.001, t = double(step);
            const double lrT = lr * std::sqrt(1 - std::pow(0.999, t)) / (1 - std::pow(0.9, t));
            w -= lr * (u == Update::AdamW ? 0.004 : 0.0) * w;
            s1 = 0.9 * s1 + 0.1 * g;
            s2 = 0.999 * s2 + 0.001 * g * g;
            w -= lrT * s1 / (std::sqrt(s2) + 1e-7);
            break;
        }
    }
}

void runStep(Backend& b, Update u, int step, const Tensor& g, OptimizerState& s) {
    switch (u) {
        case Update::Sgd:
            return b.sgdUpdate(s.w, g, nullptr, 0.1, 0.0, false);
        case Update::Momentum:
        case Update::Nesterov:
            return b.sgdUpdate(s.w, g, &s.s1, 0.1, 0.9, u == Update::Nesterov);
        case Update::Rmsprop:
            return b.rmspropUpdate(s.w, g, s.s1, 0.01, 0.9, 1e-7);
        case Update::Adagrad:
            return b.adagradUpdate(s.w, g, s.s1, 0.01, 1e-7);
        case Update::Adam:
        case Update::AdamW:
            return b.adamUpdate(s.w, g, s.s1, s.s2, 0.001, 0.9, 0.999, 1e-7, step,
                                u == Update::AdamW ? 0.004 : 0.0);
    }
}

BackendOp opOf(Update u) {
    switch (u) {
        case Update::Rmsprop:
            return BackendOp::rmspropUpdate;
        case Update::Adagrad:
            return BackendOp::adagradUpdate;
        case Update::Adam:
        case Update::AdamW:
            return BackendOp::adamUpdate;
        default:
            return BackendOp::sgdUpdate;
    }
}

// The tensors an update changes: the weights and whatever state it keeps.
Outputs stateOutputs(Update u, const OptimizerState& s) {
    Outputs out = {{"w", s.w}};
    if (u != Update::Sgd) {
        out.push_back({"state", s.s1});
    }
    if (u == Update::Adam || u == Update::AdamW) {
        out.push_back({"second moment", s.s2});
    }
    return out;
}

void addOptimizerCase(std::vector<OpCase>& table, Update u, const std::string& name, DType dt) {
    const uint64_t seed = seedOf("optimizer " + name);
    addCase(
        table, opOf(u), name + ", " + std::to_string(kSteps) + " steps", dt, kTranscendental,
        [=](Backend& b) {
            const OptimizerState host = initialState(u, dt, seed);
            OptimizerState s{onDevice(b, host.w), onDevice(b, host.s1), onDevice(b, host.s2)};
            for (int step = 1; step <= kSteps; ++step) {
                runStep(b, u, step, onDevice(b, gradient(dt, seed, step)), s);
            }
            return stateOutputs(u, s);
        },
        [=] {
            const OptimizerState start = initialState(u, dt, seed);
            OptimizerState s{f64(start.w), f64(start.s1), f64(start.s2)};
            double *w = s.w.data<double>(), *s1 = s.s1.data<double>(), *s2 = s.s2.data<double>();
            for (int step = 1; step <= kSteps; ++step) {
                const Tensor g = gradient(dt, seed, step);
                for (int64_t i = 0; i < g.numel(); ++i) {
                    referenceStep(u, step, g.at(i), w[i], s1[i], s2[i]);
                }
            }
            return stateOutputs(u, s);
        });
}

}  // namespace

void addLossCases(std::vector<OpCase>& table) {
    for (DType dt : kDtypes) {
        for (BackendOp op : {BackendOp::softmaxCrossEntropy, BackendOp::sparseSoftmaxCrossEntropy,
                             BackendOp::crossEntropy, BackendOp::sigmoidBinaryCrossEntropy,
                             BackendOp::binaryCrossEntropy, BackendOp::meanSquaredError}) {
            addLossCasesOf(table, op, dt, true);
            addLossCasesOf(table, op, dt, false);
        }
    }
}

void addOptimizerCases(std::vector<OpCase>& table) {
    const std::pair<Update, const char*> updates[] = {
        {Update::Sgd, "plain"},         {Update::Momentum, "momentum"},
        {Update::Nesterov, "nesterov"}, {Update::Rmsprop, "rho 0.9"},
        {Update::Adagrad, "eps 1e-7"},  {Update::Adam, "adam"},
        {Update::AdamW, "adamw"}};
    for (DType dt : kDtypes) {
        for (const auto& [u, name] : updates) {
            addOptimizerCase(table, u, name, dt);
        }
    }
}

}  // namespace loom::test::cases
