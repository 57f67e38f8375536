// Activations on the CPU. Element-wise ones are one loop each (y may alias x, dx may alias dy);
// softmax runs along axis 1 of [N, C, ...], i.e. over the channels at every spatial position.
//   leaky_relu  y = x > 0 ? x : alpha*x           dx = dy * (x > 0 ? 1 : alpha)
//   relu6       y = min(max(x, 0), alpha)         dx = dy * (0 < x < alpha ? 1 : 0)
//   elu         y = x > 0 ? x : alpha*(e^x - 1)   dx = dy * (x > 0 ? 1 : y + alpha)
//   sigmoid     y = 1 / (1 + e^-x)                dx = dy * y * (1 - y)
//   tanh                                          dx = dy * (1 - y^2)
//   softmax     y_c = e^(x_c - max) / sum         dx_c = y_c * (dy_c - sum_k dy_k y_k)

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <cmath>

namespace loom {

using namespace cpu;

namespace {

// exp(-|x|) never overflows, and e / (1 + e) keeps full relative precision for very negative
// x (1 - 1/(1 + e) would round to 0). Both sides are computed so that no branch mispredicts.
template <typename T>
T sigmoid(T x) {
    T e = std::exp(-std::abs(x));
    T r = T(1) / (T(1) + e);
    return x >= T(0) ? r : e * r;
}

template <typename T>
void elementwiseForward(ActivationKind kind, T alpha, const T* x, T* y, int64_t n) {
    switch (kind) {
        case ActivationKind::Linear:
            parallelFor(n, 1, [&](int64_t i) { y[i] = x[i]; });
            break;
        // Written so that NaN passes through (NaN < 0 is false): a NaN swallowed here would
        // hide a broken layer from the trainer's non-finite check.
        case ActivationKind::Relu:
            parallelFor(n, 1, [&](int64_t i) { y[i] = x[i] < T(0) ? T(0) : x[i]; });
            break;
        case ActivationKind::LeakyRelu:
            parallelFor(n, 1, [&](int64_t i) { y[i] = x[i] > T(0) ? x[i] : alpha * x[i]; });
            break;
        case ActivationKind::ClippedRelu:
            parallelFor(n, 1, [&](int64_t i) {
                T v = x[i] < T(0) ? T(0) : x[i];
                y[i] = v > alpha ? alpha : v;
            });
            break;
        case ActivationKind::Elu:
            parallelFor(n, 8,
                        [&](int64_t i) { y[i] = x[i] > T(0) ? x[i] : alpha * std::expm1(x[i]); });
            break;
        case ActivationKind::Sigmoid:
            parallelFor(n, 8, [&](int64_t i) { y[i] = sigmoid(x[i]); });
            break;
        case ActivationKind::Tanh:
            parallelFor(n, 8, [&](int64_t i) { y[i] = std::tanh(x[i]); });
            break;
        case ActivationKind::Softmax:
            break;  // not element-wise; handled by softmaxForward
    }
}

template <typename T>
void elementwiseBackward(ActivationKind kind, T alpha, const T* x, const T* y, const T* dy, T* dx,
                         int64_t n) {
    switch (kind) {
        case ActivationKind::Linear:
            parallelFor(n, 1, [&](int64_t i) { dx[i] = dy[i]; });
            break;
        // Every operand is loaded whatever the branch, so that the select compiles to
        // branch-free vector code: a branch on the sign of x mispredicts half the time.
        case ActivationKind::Relu:
            parallelFor(n, 1, [&](int64_t i) {
                T g = dy[i];
                dx[i] = x[i] <= T(0) ? T(0) : g;
            });
            break;
        case ActivationKind::LeakyRelu:
            parallelFor(n, 1, [&](int64_t i) {
                T g = dy[i];
                dx[i] = x[i] > T(0) ? g : alpha * g;
            });
            break;
        case ActivationKind::ClippedRelu:
            parallelFor(n, 1, [&](int64_t i) {
                T g = dy[i], v = x[i];
                dx[i] = v > T(0) && v < alpha ? g : T(0);
            });
            break;
        case ActivationKind::Elu:
            parallelFor(n, 1, [&](int64_t i) {
                T g = dy[i], v = y[i];
                dx[i] = x[i] > T(0) ? g : g * (v + alpha);
            });
            break;
        case ActivationKind::Sigmoid:
            parallelFor(n, 1, [&](int64_t i) { dx[i] = dy[i] * y[i] * (T(1) - y[i]); });
            break;
        case ActivationKind::Tanh:
            parallelFor(n, 1, [&](int64_t i) { dx[i] = dy[i] * (T(1) - y[i] * y[i]); });
            break;
        case ActivationKind::Softmax:
            break;  // handled by softmaxBackward
    }
}

// [N, C, inner...]: `outer` = N groups of C values `inner` apart.
struct SoftmaxDims {
    int64_t outer, channels, inner;
};

SoftmaxDims softmaxDims(const Tensor& x) {
    int64_t inner = 1;
    for (size_t axis = 2; axis < x.rank(); ++axis) {
        inner *= x.dim(axis);
    }
    return {x.dim(0), x.dim(1), inner};
}

// Max subtraction keeps exp in range; the sum is at least 1 (the max's own term).
template <typename T>
void softmaxForward(const T* x, T* y, const SoftmaxDims& d) {
    if (d.channels == 0) {
        return;
    }
    parallelFor(d.outer * d.inner, d.channels * 4, [&](int64_t i) {
        int64_t base = (i / d.inner) * d.channels * d.inner + i % d.inner;
        T maxValue = x[base];
        for (int64_t c = 1; c < d.channels; ++c) {
            maxValue = std::max(maxValue, x[base + c * d.inner]);
        }
        double sum = 0.0;
        for (int64_t c = 0; c < d.channels; ++c) {
            T e = std::exp(x[base + c * d.inner] - maxValue);
            y[base + c * d.inner] = e;
            sum += e;
        }
        T scale = static_cast<T>(1.0 / sum);
        for (int64_t c = 0; c < d.channels; ++c) {
            y[base + c * d.inner] *= scale;
        }
    });
}

template <typename T>
void softmaxBackward(const T* y, const T* dy, T* dx, const SoftmaxDims& d) {
    parallelFor(d.outer * d.inner, d.channels * 2, [&](int64_t i) {
        int64_t base = (i / d.inner) * d.channels * d.inner + i % d.inner;
        double dot = 0.0;
        for (int64_t c = 0; c < d.channels; ++c) {
            dot += double(dy[base + c * d.inner]) * y[base + c * d.inner];
        }
        for (int64_t c = 0; c < d.channels; ++c) {
            int64_t j = base + c * d.inner;
            dx[j] = static_cast<T>(y[j] * (dy[j] - dot));
        }
    });
}

}  // namespace

void CpuBackend::activationForwardImpl(ActivationKind kind, double alpha, const Tensor& x,
                                       Tensor& y) {
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if (kind == ActivationKind::Softmax) {
            softmaxForward(x.data<T>(), y.data<T>(), softmaxDims(x));
        } else {
            elementwiseForward(kind, static_cast<T>(alpha), x.data<T>(), y.data<T>(), x.numel());
        }
    });
}

void CpuBackend::activationBackwardImpl(ActivationKind kind, double alpha, const Tensor& x,
                                        const Tensor& y, const Tensor& dy, Tensor& dx) {
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if (kind == ActivationKind::Softmax) {
            softmaxBackward(y.data<T>(), dy.data<T>(), dx.data<T>(), softmaxDims(y));
        } else {
            elementwiseBackward(kind, static_cast<T>(alpha), x.data<T>(), y.data<T>(), dy.data<T>(),
                                dx.data<T>(), x.numel());
        }
    });
}

}  // namespace loom
