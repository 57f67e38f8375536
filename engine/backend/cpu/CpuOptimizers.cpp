// Optimizer updates on the CPU, Keras' formulas exactly (see Backend.h). Step-dependent
// scalars (Adam's bias correction) are computed once in double; the per-element loops run in
// the tensors' own type. State that decays geometrically (momentum, the running averages of
// RMSprop and Adam) is flushed to 0 once it falls below the smallest normal number: on its way
// to 0 it would otherwise spend hundreds of steps as a subnormal, where every multiply takes a
// slow microcode path (3x slower updates, measured on weights whose gradient is always 0, such
// as those of Fashion-MNIST's blank border pixels). TensorFlow runs Keras' CPU kernels in
// flush-to-zero mode, so this is what Keras computes too.

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <cmath>
#include <limits>

namespace loom {

using namespace cpu;

namespace {

template <typename T>
T flushSubnormal(T v) {
    return std::abs(v) < std::numeric_limits<T>::min() ? T(0) : v;
}

}  // namespace

void CpuBackend::sgdUpdateImpl(Tensor& w, const Tensor& g, Tensor* velocity, double lr,
                               double momentum, bool nesterov) {
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* wp = w.data<T>();
        const T* gp = g.data<T>();
        const T rate = static_cast<T>(lr), m = static_cast<T>(momentum);
        if (velocity == nullptr) {
            parallelFor(w.numel(), 1, [&](int64_t i) { wp[i] -= rate * gp[i]; });
            return;
        }
        T* v = velocity->data<T>();
        parallelFor(w.numel(), 1, [&](int64_t i) {
            v[i] = flushSubnormal(m * v[i] - rate * gp[i]);
            // Nesterov looks ahead along the new velocity: w += m*v - lr*g.
            wp[i] += nesterov ? m * v[i] - rate * gp[i] : v[i];
        });
    });
}

void CpuBackend::rmspropUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                                   double rho, double epsilon) {
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T *wp = w.data<T>(), *a = accumulator.data<T>();
        const T* gp = g.data<T>();
        const T rate = static_cast<T>(lr), r = static_cast<T>(rho), eps = static_cast<T>(epsilon);
        parallelFor(w.numel(), 4, [&](int64_t i) {
            a[i] = flushSubnormal(r * a[i] + (T(1) - r) * gp[i] * gp[i]);
            wp[i] -= rate * gp[i] / (std::sqrt(a[i]) + eps);
        });
    });
}

void CpuBackend::adagradUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                                   double epsilon) {
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T *wp = w.data<T>(), *a = accumulator.data<T>();
        const T* gp = g.data<T>();
        const T rate = static_cast<T>(lr), eps = static_cast<T>(epsilon);
        parallelFor(w.numel(), 4, [&](int64_t i) {
            a[i] += gp[i] * gp[i];
            wp[i] -= rate * gp[i] / (std::sqrt(a[i]) + eps);
        });
    });
}

void CpuBackend::adamUpdateImpl(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, double lr,
                                double beta1, double beta2, double epsilon, int64_t step,
                                double weightDecay) {
    const double t = double(step);
    const double lrT = lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t));
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T *wp = w.data<T>(), *mp = m.data<T>(), *vp = v.data<T>();
        const T* gp = g.data<T>();
        const T b1 = static_cast<T>(beta1), b2 = static_cast<T>(beta2);
        const T eps = static_cast<T>(epsilon), rateT = static_cast<T>(lrT);
        // Decoupled weight decay (AdamW) shrinks w before the gradient step, with the plain lr.
        const T decay = static_cast<T>(1.0 - lr * weightDecay);
        parallelFor(w.numel(), 4, [&](int64_t i) {
            wp[i] *= decay;
            mp[i] = flushSubnormal(b1 * mp[i] + (T(1) - b1) * gp[i]);
            vp[i] = flushSubnormal(b2 * vp[i] + (T(1) - b2) * gp[i] * gp[i]);
            wp[i] -= rateT * mp[i] / (std::sqrt(vp[i]) + eps);
        });
    });
}

}  // namespace loom
