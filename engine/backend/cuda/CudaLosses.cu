// Loss kernels on the GPU, with the CPU backend's formulas (CpuLosses.cpp): each is one
// deterministic reduction (CudaLosses' terms summed in double, CudaLaunch.cuh) whose term
// function also writes the gradient, so a loss with its gradient costs two launches. The
// softmax losses take one thread per row.
//
// A sparse label out of range cannot throw from a kernel: the row's loss becomes NaN and the
// kernel records the first bad label in the backend's error record, which the next
// synchronising call (reading the loss back, for instance) turns into the CPU's DataError.

#include "backend/cuda/CudaLaunch.cuh"

#include <cmath>

namespace loom {

using namespace cuda;

namespace {

// Row loss of softmax cross-entropy against target row t (or the one-hot row of `label` when t
// is null), writing (softmax - target) * scale into g when g is given.
template <typename T>
__device__ double softmaxRow(const T* z, const T* t, int64_t label, int64_t classes, T* g,
                             double scale) {
    T maxValue = z[0];
    for (int64_t c = 1; c < classes; ++c) {
        maxValue = maxValue < z[c] ? z[c] : maxValue;
    }
    double sum = 0.0;
    for (int64_t c = 0; c < classes; ++c) {
        sum += exp(double(z[c]) - maxValue);
    }
    const double lse = maxValue + log(sum);
    double loss = 0.0;
    for (int64_t c = 0; c < classes; ++c) {
        const double target = t != nullptr ? double(t[c]) : (c == label ? 1.0 : 0.0);
        if (target != 0.0) {
            loss += target * (lse - z[c]);
        }
        if (g != nullptr) {
            g[c] = static_cast<T>((exp(z[c] - lse) - target) * scale);
        }
    }
    return loss;
}

template <typename T>
void softmaxCrossEntropyKernel(const CudaBackend& b, const T* z, const T* t, T* g, int64_t n,
                               int64_t classes, T* loss) {
    const double scale = 1.0 / double(n);
    reduceSum(
        b, n,
        [=] __device__(int64_t i) {
            return softmaxRow(z + i * classes, t + i * classes, 0, classes,
                              g != nullptr ? g + i * classes : nullptr, scale);
        },
        double(n), loss);
}

template <typename T>
void sparseSoftmaxCrossEntropyKernel(const CudaBackend& b, const T* z, const T* labels, T* g,
                                     int64_t n, int64_t classes, T* loss) {
    const double scale = 1.0 / double(n);
    DeviceErrorRecord* errors = b.deviceErrors();
    int* claim = b.deviceErrorClaim();
    reduceSum(
        b, n,
        [=] __device__(int64_t i) {
            const double v = labels[i];
            if (!(v >= 0 && v < double(classes)) || v != floor(v)) {
                if (atomicCAS(claim, 0, 1) == 0) {
                    errors->sample = i;
                    errors->value = v;
                    errors->classes = int(classes);
                    __threadfence_system();  // the fields reach the host before the kind
                    errors->kind = 1;
                }
                const double nan = __longlong_as_double(0x7ff8000000000000LL);
                for (int64_t c = 0; g != nullptr && c < classes; ++c) {
                    g[i * classes + c] = static_cast<T>(nan);
                }
                return nan;
            }
            return softmaxRow<T>(z + i * classes, nullptr, int64_t(v), classes,
                                 g != nullptr ? g + i * classes : nullptr, scale);
        },
        double(n), loss);
}

template <typename T>
__device__ T clip(T p, double epsilon) {
    const double v = p;
    return static_cast<T>(v < epsilon ? epsilon : (1.0 - epsilon < v ? 1.0 - epsilon : v));
}

template <typename T>
__device__ bool insideClip(T p, double epsilon) {
    return p >= epsilon && p <= 1.0 - epsilon;
}

template <typename T>
void crossEntropyKernel(const CudaBackend& b, const T* p, const T* t, T* g, int64_t count,
                        int64_t n, double epsilon, T* loss) {
    // Each sample's loss sums over its classes; the mean is over samples.
    reduceSum(
        b, count,
        [=] __device__(int64_t i) {
            if (g != nullptr) {
                g[i] =
                    insideClip(p[i], epsilon) ? static_cast<T>(-t[i] / (double(p[i]) * n)) : T(0);
            }
            return t[i] == T(0) ? 0.0 : -double(t[i]) * log(double(clip(p[i], epsilon)));
        },
        double(n), loss);
}

template <typename T>
void sigmoidBinaryCrossEntropyKernel(const CudaBackend& b, const T* z, const T* t, T* g,
                                     int64_t count, T* loss) {
    reduceSum(
        b, count,
        [=] __device__(int64_t i) {
            const double zi = z[i], ti = t[i];
            if (g != nullptr) {
                const double s = zi >= 0 ? 1.0 / (1.0 + exp(-zi)) : exp(zi) / (1.0 + exp(zi));
                g[i] = static_cast<T>((s - ti) / double(count));
            }
            return (zi > 0.0 ? zi : 0.0) - zi * ti + log1p(exp(-fabs(zi)));
        },
        double(count), loss);
}

template <typename T>
void binaryCrossEntropyKernel(const CudaBackend& b, const T* p, const T* t, T* g, int64_t count,
                              double epsilon, T* loss) {
    reduceSum(
        b, count,
        [=] __device__(int64_t i) {
            const double pc = clip(double(p[i]), epsilon), ti = t[i];
            if (g != nullptr) {
                g[i] = insideClip(p[i], epsilon)
                           ? static_cast<T>((-ti / pc + (1 - ti) / (1 - pc)) / double(count))
                           : T(0);
            }
            return -(ti * log(pc) + (1 - ti) * log(1 - pc));
        },
        double(count), loss);
}

template <typename T>
void meanSquaredErrorKernel(const CudaBackend& b, const T* p, const T* t, T* g, int64_t count,
                            T* loss) {
    reduceSum(
        b, count,
        [=] __device__(int64_t i) {
            const double diff = double(p[i]) - double(t[i]);
            if (g != nullptr) {
                g[i] = static_cast<T>(2.0 * diff / double(count));
            }
            return diff * diff;
        },
        double(count), loss);
}

template <typename T>
T* gradientPointer(Tensor* grad) {
    return grad != nullptr ? grad->data<T>() : nullptr;
}

}  // namespace

void CudaBackend::softmaxCrossEntropyImpl(const Tensor& logits, const Tensor& target, Tensor& loss,
                                          Tensor* dLogits) {
    Scope scope(*this);
    dispatch(logits.dtype(), [&](auto tag) {
        using T = decltype(tag);
        softmaxCrossEntropyKernel<T>(*this, logits.data<T>(), target.data<T>(),
                                     gradientPointer<T>(dLogits), logits.dim(0), logits.dim(1),
                                     loss.data<T>());
    });
}

void CudaBackend::sparseSoftmaxCrossEntropyImpl(const Tensor& logits, const Tensor& labels,
                                                Tensor& loss, Tensor* dLogits) {
    Scope scope(*this);
    dispatch(logits.dtype(), [&](auto tag) {
        using T = decltype(tag);
        sparseSoftmaxCrossEntropyKernel<T>(*this, logits.data<T>(), labels.data<T>(),
                                           gradientPointer<T>(dLogits), logits.dim(0),
                                           logits.dim(1), loss.data<T>());
    });
}

void CudaBackend::crossEntropyImpl(const Tensor& probs, const Tensor& target, double epsilon,
                                   Tensor& loss, Tensor* dProbs) {
    Scope scope(*this);
    dispatch(probs.dtype(), [&](auto tag) {
        using T = decltype(tag);
        crossEntropyKernel<T>(*this, probs.data<T>(), target.data<T>(), gradientPointer<T>(dProbs),
                              probs.numel(), probs.dim(0), epsilon, loss.data<T>());
    });
}

void CudaBackend::sigmoidBinaryCrossEntropyImpl(const Tensor& logits, const Tensor& target,
                                                Tensor& loss, Tensor* dLogits) {
    Scope scope(*this);
    dispatch(logits.dtype(), [&](auto tag) {
        using T = decltype(tag);
        sigmoidBinaryCrossEntropyKernel<T>(*this, logits.data<T>(), target.data<T>(),
                                           gradientPointer<T>(dLogits), logits.numel(),
                                           loss.data<T>());
    });
}

void CudaBackend::binaryCrossEntropyImpl(const Tensor& probs, const Tensor& target, double epsilon,
                                         Tensor& loss, Tensor* dProbs) {
    Scope scope(*this);
    dispatch(probs.dtype(), [&](auto tag) {
        using T = decltype(tag);
        binaryCrossEntropyKernel<T>(*this, probs.data<T>(), target.data<T>(),
                                    gradientPointer<T>(dProbs), probs.numel(), epsilon,
                                    loss.data<T>());
    });
}

void CudaBackend::meanSquaredErrorImpl(const Tensor& pred, const Tensor& target, Tensor& loss,
                                       Tensor* dPred) {
    Scope scope(*this);
    dispatch(pred.dtype(), [&](auto tag) {
        using T = decltype(tag);
        meanSquaredErrorKernel<T>(*this, pred.data<T>(), target.data<T>(),
                                  gradientPointer<T>(dPred), pred.numel(), loss.data<T>());
    });
}

}  // namespace loom
