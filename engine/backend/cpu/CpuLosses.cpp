// Loss kernels on the CPU: the mean loss (summed in double) into a one-element tensor and,
// when asked, the gradient of that mean. Softmax losses use log-sum-exp with the row maximum
// subtracted; the sigmoid one uses max(z,0) - z*t + log1p(exp(-|z|)), finite for any z.
// Losses of probabilities clip them to [eps, 1-eps] and, like tf.clip_by_value, pass no
// gradient where the clip was active.

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <algorithm>
#include <cmath>

namespace loom {

using namespace cpu;

namespace {

double mean(double total, int64_t count) {
    return count == 0 ? 0.0 : total / double(count);
}

// log(sum_c exp(z_c)) of one row, and the row's maximum (for the softmax).
template <typename T>
double logSumExp(const T* z, int64_t classes, T& maxValue) {
    maxValue = *std::max_element(z, z + classes);
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c) {
        sum += std::exp(double(z[c]) - maxValue);
    }
    return maxValue + std::log(sum);
}

// Row loss of softmax cross-entropy against the target row t (or the one-hot row of label
// when t is null), writing (softmax - target) * scale into g when g is given.
template <typename T>
double softmaxRow(const T* z, const T* t, int64_t label, int64_t classes, T* g, double scale) {
    T maxValue;
    double lse = logSumExp(z, classes, maxValue);
    double loss = 0.0;
    for (int64_t c = 0; c < classes; ++c) {
        double target = t != nullptr ? double(t[c]) : (c == label ? 1.0 : 0.0);
        if (target != 0.0) {
            loss += target * (lse - z[c]);
        }
        if (g != nullptr) {
            g[c] = static_cast<T>((std::exp(z[c] - lse) - target) * scale);
        }
    }
    return loss;
}

// The labels as class indices, each checked to be a whole number in [0, classes).
template <typename T>
std::vector<int64_t> classLabels(const Tensor& labels, int64_t classes) {
    const T* l = labels.data<T>();
    std::vector<int64_t> out(static_cast<size_t>(labels.numel()));
    for (int64_t i = 0; i < labels.numel(); ++i) {
        double v = l[i];
        if (!(v >= 0 && v < double(classes)) || v != std::floor(v)) {
            throw DataError("sparseSoftmaxCrossEntropy: label " + std::to_string(v) +
                            " of sample " + std::to_string(i) + " is not a class index in [0, " +
                            std::to_string(classes) + ")");
        }
        out[static_cast<size_t>(i)] = static_cast<int64_t>(v);
    }
    return out;
}

// Sums term(i, g) over count elements, where g is where element i's gradient goes (or null),
// and writes the sum divided by `divisor` (the number of elements or of samples).
template <typename T, typename Term>
void elementLoss(int64_t count, int64_t divisor, Tensor* grad, Tensor& loss, Term&& term) {
    T* g = grad != nullptr ? grad->data<T>() : nullptr;
    double total = reduceSum(count, 8, [&](int64_t i) { return term(i, g ? g + i : nullptr); });
    loss.data<T>()[0] = static_cast<T>(mean(total, divisor));
}

template <typename T>
T clip(T p, double epsilon) {
    return static_cast<T>(std::clamp(double(p), epsilon, 1.0 - epsilon));
}

template <typename T>
bool insideClip(T p, double epsilon) {
    return p >= epsilon && p <= 1.0 - epsilon;
}

}  // namespace

void CpuBackend::softmaxCrossEntropyImpl(const Tensor& logits, const Tensor& target, Tensor& loss,
                                         Tensor* dLogits) {
    const int64_t n = logits.dim(0), classes = logits.dim(1);
    dispatch(logits.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *z = logits.data<T>(), *t = target.data<T>();
        T* g = dLogits != nullptr ? dLogits->data<T>() : nullptr;
        double total = reduceSum(n, classes * 8, [&](int64_t i) {
            return softmaxRow(z + i * classes, t + i * classes, 0, classes,
                              g ? g + i * classes : nullptr, 1.0 / double(n));
        });
        loss.data<T>()[0] = static_cast<T>(mean(total, n));
    });
}

void CpuBackend::sparseSoftmaxCrossEntropyImpl(const Tensor& logits, const Tensor& labels,
                                               Tensor& loss, Tensor* dLogits) {
    const int64_t n = logits.dim(0), classes = logits.dim(1);
    dispatch(logits.dtype(), [&](auto tag) {
        using T = decltype(tag);
        std::vector<int64_t> label = classLabels<T>(labels, classes);
        const T* z = logits.data<T>();
        T* g = dLogits != nullptr ? dLogits->data<T>() : nullptr;
        double total = reduceSum(n, classes * 8, [&](int64_t i) {
            return softmaxRow<T>(z + i * classes, nullptr, label[size_t(i)], classes,
                                 g ? g + i * classes : nullptr, 1.0 / double(n));
        });
        loss.data<T>()[0] = static_cast<T>(mean(total, n));
    });
}

void CpuBackend::crossEntropyImpl(const Tensor& probs, const Tensor& target, double epsilon,
                                  Tensor& loss, Tensor* dProbs) {
    const int64_t n = probs.dim(0);
    dispatch(probs.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *p = probs.data<T>(), *t = target.data<T>();
        // Each sample's loss sums over its classes; the mean is over samples.
        elementLoss<T>(probs.numel(), n, dProbs, loss, [&](int64_t i, T* g) {
            if (g != nullptr) {
                *g = insideClip(p[i], epsilon) ? static_cast<T>(-t[i] / (double(p[i]) * n)) : T(0);
            }
            return t[i] == T(0) ? 0.0 : -double(t[i]) * std::log(double(clip(p[i], epsilon)));
        });
    });
}

void CpuBackend::sigmoidBinaryCrossEntropyImpl(const Tensor& logits, const Tensor& target,
                                               Tensor& loss, Tensor* dLogits) {
    const int64_t count = logits.numel();
    dispatch(logits.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *z = logits.data<T>(), *t = target.data<T>();
        elementLoss<T>(count, count, dLogits, loss, [&](int64_t i, T* g) {
            double zi = z[i], ti = t[i];
            if (g != nullptr) {
                double s =
                    zi >= 0 ? 1.0 / (1.0 + std::exp(-zi)) : std::exp(zi) / (1.0 + std::exp(zi));
                *g = static_cast<T>((s - ti) / double(count));
            }
            return std::max(zi, 0.0) - zi * ti + std::log1p(std::exp(-std::abs(zi)));
        });
    });
}

void CpuBackend::binaryCrossEntropyImpl(const Tensor& probs, const Tensor& target, double epsilon,
                                        Tensor& loss, Tensor* dProbs) {
    const int64_t count = probs.numel();
    dispatch(probs.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *p = probs.data<T>(), *t = target.data<T>();
        elementLoss<T>(count, count, dProbs, loss, [&](int64_t i, T* g) {
            double pc = clip(double(p[i]), epsilon), ti = t[i];
            if (g != nullptr) {
                *g = insideClip(p[i], epsilon)
                         ? static_cast<T>((-ti / pc + (1 - ti) / (1 - pc)) / double(count))
                         : T(0);
            }
            return -(ti * std::log(pc) + (1 - ti) * std::log(1 - pc));
        });
    });
}

void CpuBackend::meanSquaredErrorImpl(const Tensor& pred, const Tensor& target, Tensor& loss,
                                      Tensor* dPred) {
    const int64_t count = pred.numel();
    dispatch(pred.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *p = pred.data<T>(), *t = target.data<T>();
        elementLoss<T>(count, count, dPred, loss, [&](int64_t i, T* g) {
            double diff = double(p[i]) - double(t[i]);
            if (g != nullptr) {
                *g = static_cast<T>(2.0 * diff / double(count));
            }
            return diff * diff;
        });
    });
}

}  // namespace loom
