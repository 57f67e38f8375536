// Cases of the activations (every kind, element-wise and softmax along axis 1, in place too)
// and of batch normalisation (training, inference, backward). Backward cases take their
// forward outputs from the float64 reference, rounded to the case's dtype, so that every
// device differentiates from the same values and only the op itself is compared.

#include "BackendOpCaseBuilders.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace loom::test {

const std::vector<ActivationSpec>& activationSpecs() {
    static const std::vector<ActivationSpec> specs = {
        {"linear", ActivationKind::Linear, 0.0},
        {"relu", ActivationKind::Relu, 0.0},
        {"leaky_relu 0.3", ActivationKind::LeakyRelu, 0.3},
        {"relu6", ActivationKind::ClippedRelu, 6.0},
        {"clipped relu 0.5", ActivationKind::ClippedRelu, 0.5},
        {"elu 1", ActivationKind::Elu, 1.0},
        {"elu 0.5", ActivationKind::Elu, 0.5},
        {"sigmoid", ActivationKind::Sigmoid, 0.0},
        {"tanh", ActivationKind::Tanh, 0.0},
    };
    return specs;
}

const std::vector<Shape>& batchNormShapes() {
    static const std::vector<Shape> shapes = {{6, 3}, {16, 9}, {4, 3, 2, 2}, {5, 6, 7, 8}};
    return shapes;
}

namespace cases {

namespace {

// ---- activations --------------------------------------------------------------------------

// [N, C, inner...]: the flat index of channel c at position `position` (of N * inner).
int64_t channelIndex(const Shape& shape, int64_t position, int64_t c) {
    const int64_t inner = shape.numel() / std::max<int64_t>(shape[0] * shape[1], 1);
    return (position / inner * shape[1] + c) * inner + position % inner;
}

double activationValue(ActivationKind kind, double alpha, double x) {
    switch (kind) {
        case ActivationKind::Linear:
            return x;
        case ActivationKind::Relu:
            return x > 0 ? x : 0;
        case ActivationKind::LeakyRelu:
            return x > 0 ? x : alpha * x;
        case ActivationKind::ClippedRelu:
            return std::clamp(x, 0.0, alpha);
        case ActivationKind::Elu:
            return x > 0 ? x : alpha * std::expm1(x);
        case ActivationKind::Sigmoid:
            return 1 / (1 + std::exp(-x));
        case ActivationKind::Tanh:
            return std::tanh(x);
        case ActivationKind::Softmax:
            break;
    }
    return NAN;
}

// dx at one element, from the forward input x and output y.
double activationSlope(ActivationKind kind, double alpha, double x, double y, double dy) {
    switch (kind) {
        case ActivationKind::Linear:
            return dy;
        case ActivationKind::Relu:
            return x <= 0 ? 0 : dy;
        case ActivationKind::LeakyRelu:
            return x > 0 ? dy : alpha * dy;
        case ActivationKind::ClippedRelu:
            return x > 0 && x < alpha ? dy : 0;
        case ActivationKind::Elu:
            return x > 0 ? dy : dy * (y + alpha);
        case ActivationKind::Sigmoid:
            return dy * y * (1 - y);
        case ActivationKind::Tanh:
            return dy * (1 - y * y);
        case ActivationKind::Softmax:
            break;
    }
    return NAN;
}

Tensor referenceActivation(ActivationKind kind, double alpha, const Tensor& xt) {
    const Tensor x = f64(xt);
    Tensor y = Tensor::zeros(x.shape(), DType::F64);
    if (kind != ActivationKind::Softmax) {
        for (int64_t i = 0; i < x.numel(); ++i) {
            y.set(i, activationValue(kind, alpha, x.at(i)));
        }
        return y;
    }
    const Shape& s = x.shape();
    for (int64_t pos = 0; pos < x.numel() / s[1]; ++pos) {
        double m = x.at(channelIndex(s, pos, 0)), sum = 0;
        for (int64_t c = 1; c < s[1]; ++c) {
            m = std::max(m, x.at(channelIndex(s, pos, c)));
        }
        for (int64_t c = 0; c < s[1]; ++c) {
            sum += std::exp(x.at(channelIndex(s, pos, c)) - m);
        }
        for (int64_t c = 0; c < s[1]; ++c) {
            y.set(channelIndex(s, pos, c), std::exp(x.at(channelIndex(s, pos, c)) - m) / sum);
        }
    }
    return y;
}

Tensor referenceActivationBackward(ActivationKind kind, double alpha, const Tensor& xt,
                                   const Tensor& yt, const Tensor& dyt) {
    const Tensor x = f64(xt), y = f64(yt), dy = f64(dyt);
    Tensor dx = Tensor::zeros(x.shape(), DType::F64);
    if (kind != ActivationKind::Softmax) {
        for (int64_t i = 0; i < x.numel(); ++i) {
            dx.set(i, activationSlope(kind, alpha, x.at(i), y.at(i), dy.at(i)));
        }
        return dx;
    }
    // dx_c = y_c * (dy_c - sum_k dy_k y_k)
    const Shape& s = x.shape();
    for (int64_t pos = 0; pos < x.numel() / s[1]; ++pos) {
        double dot = 0;
        for (int64_t c = 0; c < s[1]; ++c) {
            const int64_t j = channelIndex(s, pos, c);
            dot += dy.at(j) * y.at(j);
        }
        for (int64_t c = 0; c < s[1]; ++c) {
            const int64_t j = channelIndex(s, pos, c);
            dx.set(j, y.at(j) * (dy.at(j) - dot));
        }
    }
    return dx;
}

Tolerance activationTolerance(ActivationKind kind) {
    switch (kind) {
        case ActivationKind::Linear:
        case ActivationKind::Relu:
        case ActivationKind::ClippedRelu:
            return kCopies;
        case ActivationKind::LeakyRelu:
            return kRounded;
        default:
            return kTranscendental;
    }
}

void addActivationCasesOf(std::vector<OpCase>& table, const ActivationSpec& a, const Shape& shape,
                          DType dt) {
    const uint64_t seed = seedOf(a.name + shape.str());
    const std::string name = a.name + " " + shape.str();
    // Wide enough to reach both sides of every kink (relu6's ceiling at 6 included).
    auto x = [=] { return seeded(shape, dt, seed, -8, 8); };
    auto y = [=] { return rounded(referenceActivation(a.kind, a.alpha, x()), dt); };
    auto dy = [=] { return seeded(shape, dt, seed + 1); };
    addCase(
        table, BackendOp::activationForward, name, dt, activationTolerance(a.kind),
        [=](Backend& b) {
            Tensor out = unwritten(b, shape, dt), inPlace = onDevice(b, x());
            b.activationForward(a.kind, a.alpha, onDevice(b, x()), out);
            b.activationForward(a.kind, a.alpha, inPlace, inPlace);
            return Outputs{{"y", out}, {"y in place", inPlace}};
        },
        [=] {
            const Tensor out = referenceActivation(a.kind, a.alpha, x());
            return Outputs{{"y", out}, {"y in place", out}};
        });
    addCase(
        table, BackendOp::activationBackward, name, dt, activationTolerance(a.kind),
        [=](Backend& b) {
            const Tensor xd = onDevice(b, x()), yd = onDevice(b, y());
            Tensor dx = unwritten(b, shape, dt), inPlace = onDevice(b, dy());
            b.activationBackward(a.kind, a.alpha, xd, yd, onDevice(b, dy()), dx);
            b.activationBackward(a.kind, a.alpha, xd, yd, inPlace, inPlace);
            return Outputs{{"dx", dx}, {"dx in place", inPlace}};
        },
        [=] {
            const Tensor dx = referenceActivationBackward(a.kind, a.alpha, x(), y(), dy());
            return Outputs{{"dx", dx}, {"dx in place", dx}};
        });
}

// ---- batch normalisation ------------------------------------------------------------------

struct BatchNormInputs {
    Tensor x, gamma, beta, runningMean, runningVar, dy;
};

BatchNormInputs batchNormInputs(const Shape& shape, DType dt) {
    const uint64_t seed = seedOf("batchnorm " + shape.str());
    const Shape c{shape[1]};
    return {seeded(shape, dt, seed, -2, 3),    seeded(c, dt, seed + 1, 0.5, 1.5),
            seeded(c, dt, seed + 2),           seeded(c, dt, seed + 3),
            seeded(c, dt, seed + 4, 0.5, 2.0), seeded(shape, dt, seed + 5)};
}

constexpr double kMomentum = 0.9, kEpsilon = 1e-3;

// Per channel: the batch mean and biased variance, in float64.
struct Moments {
    std::vector<double> mean, var;
    int64_t count;
};

Moments moments(const Tensor& x) {
    const Shape& s = x.shape();
    const int64_t channels = s[1], count = x.numel() / std::max<int64_t>(channels, 1);
    Moments m{std::vector<double>(size_t(channels)), std::vector<double>(size_t(channels)), count};
    for (int64_t c = 0; c < channels; ++c) {
        double sum = 0, squares = 0;
        for (int64_t pos = 0; pos < count; ++pos) {
            sum += x.at(channelIndex(s, pos, c));
        }
        const double mean = sum / double(count);
        for (int64_t pos = 0; pos < count; ++pos) {
            const double d = x.at(channelIndex(s, pos, c)) - mean;
            squares += d * d;
        }
        m.mean[size_t(c)] = mean;
        m.var[size_t(c)] = squares / double(count);
    }
    return m;
}

// y, runningMean, runningVar, savedMean and savedInvStd of a training step, in float64.
Outputs referenceTraining(const BatchNormInputs& in) {
    const Tensor x = f64(in.x);
    const Shape& s = x.shape();
    const Moments m = moments(x);
    Tensor y = Tensor::zeros(s, DType::F64), rm = f64(in.runningMean), rv = f64(in.runningVar);
    Tensor sm = Tensor::zeros({s[1]}, DType::F64), si = Tensor::zeros({s[1]}, DType::F64);
    for (int64_t c = 0; c < s[1]; ++c) {
        const double mean = m.mean[size_t(c)], var = m.var[size_t(c)];
        const double invStd = 1 / std::sqrt(var + kEpsilon);
        for (int64_t pos = 0; pos < m.count; ++pos) {
            const int64_t i = channelIndex(s, pos, c);
            y.set(i, in.gamma.at(c) * (x.at(i) - mean) * invStd + in.beta.at(c));
        }
        // The running variance is unbiased, as Keras and cuDNN keep it.
        const double unbiased = m.count > 1 ? var * double(m.count) / double(m.count - 1) : var;
        rm.set(c, kMomentum * rm.at(c) + (1 - kMomentum) * mean);
        rv.set(c, kMomentum * rv.at(c) + (1 - kMomentum) * unbiased);
        sm.set(c, mean);
        si.set(c, invStd);
    }
    return {
        {"y", y}, {"runningMean", rm}, {"runningVar", rv}, {"savedMean", sm}, {"savedInvStd", si}};
}

Tensor referenceInference(const BatchNormInputs& in) {
    const Tensor x = f64(in.x);
    const Shape& s = x.shape();
    Tensor y = Tensor::zeros(s, DType::F64);
    for (int64_t c = 0; c < s[1]; ++c) {
        const double invStd = 1 / std::sqrt(in.runningVar.at(c) + kEpsilon);
        for (int64_t pos = 0; pos < x.numel() / s[1]; ++pos) {
            const int64_t i = channelIndex(s, pos, c);
            y.set(i, in.gamma.at(c) * (x.at(i) - in.runningMean.at(c)) * invStd + in.beta.at(c));
        }
    }
    return y;
}

// dx, dgamma and dbeta from the saved statistics (as the dtype holds them):
//   dbeta = sum dy; dgamma = sum dy * xhat; dx = gamma * invStd / m * (m dy - dbeta - xhat dgamma)
Outputs referenceBackward(const BatchNormInputs& in, const Tensor& savedMean,
                          const Tensor& savedInvStd) {
    const Tensor x = f64(in.x), dy = f64(in.dy);
    const Shape& s = x.shape();
    const int64_t count = x.numel() / s[1];
    const double m = double(count);
    Tensor dx = Tensor::zeros(s, DType::F64);
    Tensor dgamma = Tensor::zeros({s[1]}, DType::F64), dbeta = Tensor::zeros({s[1]}, DType::F64);
    for (int64_t c = 0; c < s[1]; ++c) {
        const double mean = savedMean.at(c), invStd = savedInvStd.at(c);
        double sumDy = 0, sumDyXhat = 0;
        for (int64_t pos = 0; pos < count; ++pos) {
            const int64_t i = channelIndex(s, pos, c);
            sumDy += dy.at(i);
            sumDyXhat += dy.at(i) * (x.at(i) - mean) * invStd;
        }
        dbeta.set(c, sumDy);
        dgamma.set(c, sumDyXhat);
        const double k = in.gamma.at(c) * invStd / m;
        for (int64_t pos = 0; pos < count; ++pos) {
            const int64_t i = channelIndex(s, pos, c);
            const double xhat = (x.at(i) - mean) * invStd;
            dx.set(i, k * (m * dy.at(i) - sumDy - xhat * sumDyXhat));
        }
    }
    return {{"dx", dx}, {"dgamma", dgamma}, {"dbeta", dbeta}};
}

void addBatchNormCasesOf(std::vector<OpCase>& table, const Shape& shape, DType dt) {
    const Shape c{shape[1]};
    addCase(
        table, BackendOp::batchNormForwardTraining, shape.str(), dt, kReduction,
        [=](Backend& b) {
            const BatchNormInputs in = batchNormInputs(shape, dt);
            Tensor rm = onDevice(b, in.runningMean), rv = onDevice(b, in.runningVar);
            Tensor y = unwritten(b, shape, dt), sm = unwritten(b, c, dt), si = unwritten(b, c, dt);
            b.batchNormForwardTraining(onDevice(b, in.x), onDevice(b, in.gamma),
                                       onDevice(b, in.beta), kMomentum, kEpsilon, rm, rv, y, sm,
                                       si);
            return Outputs{{"y", y},
                           {"runningMean", rm},
                           {"runningVar", rv},
                           {"savedMean", sm},
                           {"savedInvStd", si}};
        },
        [=] { return referenceTraining(batchNormInputs(shape, dt)); });
    addCase(
        table, BackendOp::batchNormForwardInference, shape.str(), dt,
        Tolerance{kReduction.reference, kElementwise.parity},
        [=](Backend& b) {
            const BatchNormInputs in = batchNormInputs(shape, dt);
            Tensor y = unwritten(b, shape, dt);
            b.batchNormForwardInference(onDevice(b, in.x), onDevice(b, in.gamma),
                                        onDevice(b, in.beta), onDevice(b, in.runningMean),
                                        onDevice(b, in.runningVar), kEpsilon, y);
            return Outputs{{"y", y}};
        },
        [=] {
            return Outputs{{"y", referenceInference(batchNormInputs(shape, dt))}};
        });
    // The saved statistics of the reference's training step, as the dtype holds them.
    auto saved = [=] {
        const Outputs forward = referenceTraining(batchNormInputs(shape, dt));
        return std::array<Tensor, 2>{rounded(forward[3].value, dt), rounded(forward[4].value, dt)};
    };
    addCase(
        table, BackendOp::batchNormBackward, shape.str(), dt, kReduction,
        [=](Backend& b) {
            const BatchNormInputs in = batchNormInputs(shape, dt);
            const auto [mean, invStd] = saved();
            Tensor dx = unwritten(b, shape, dt);
            Tensor dgamma = unwritten(b, c, dt), dbeta = unwritten(b, c, dt);
            b.batchNormBackward(onDevice(b, in.x), onDevice(b, in.dy), onDevice(b, in.gamma),
                                onDevice(b, mean), onDevice(b, invStd), dx, dgamma, dbeta);
            return Outputs{{"dx", dx}, {"dgamma", dgamma}, {"dbeta", dbeta}};
        },
        [=] {
            const auto [mean, invStd] = saved();
            return referenceBackward(batchNormInputs(shape, dt), mean, invStd);
        });
}

}  // namespace

void addActivationCases(std::vector<OpCase>& table) {
    std::vector<ActivationSpec> all = activationSpecs();
    all.push_back({"softmax", ActivationKind::Softmax, 0.0});
    for (DType dt : {DType::F32, DType::F64}) {
        for (const ActivationSpec& a : all) {
            for (const Shape& shape :
                 {Shape{29, 10}, Shape{3, 7, 5, 6}, Shape{2, 70}, Shape{3, 4, 5}}) {
                addActivationCasesOf(table, a, shape, dt);
            }
        }
    }
}

void addNormalisationCases(std::vector<OpCase>& table) {
    for (DType dt : {DType::F32, DType::F64}) {
        for (const Shape& shape : batchNormShapes()) {
            addBatchNormCasesOf(table, shape, dt);
        }
    }
}

}  // namespace cases

}  // namespace loom::test
