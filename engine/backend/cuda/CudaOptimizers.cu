// Optimizer updates on the GPU: Keras' formulas as the CPU backend computes them
// (CpuOptimizers.cpp), one element-wise kernel per parameter, including the flush of subnormal
// optimizer state to zero (which the CPU does for speed and which keeps both devices' state
// identical).

#include "backend/cuda/CudaLaunch.cuh"
#include "backend/cuda/CudaMath.cuh"

#include <cmath>

namespace loom {

using namespace cuda;

namespace {

template <typename T>
__device__ T flushSubnormal(T v) {
    return dabs(v) < smallestNormal<T>() ? T(0) : v;
}

template <typename T>
void sgdKernel(cudaStream_t s, int64_t n, T* w, const T* g, T* v, T rate, T m, bool nesterov) {
    if (v == nullptr) {
        forEach(s, n, [=] __device__(int64_t i) { w[i] -= rate * g[i]; });
        return;
    }
    forEach(s, n, [=] __device__(int64_t i) {
        v[i] = flushSubnormal(m * v[i] - rate * g[i]);
        // Nesterov looks ahead along the new velocity: w += m*v - lr*g.
        w[i] += nesterov ? m * v[i] - rate * g[i] : v[i];
    });
}

template <typename T>
void rmspropKernel(cudaStream_t s, int64_t n, T* w, const T* g, T* a, T rate, T r, T eps) {
    forEach(s, n, [=] __device__(int64_t i) {
        a[i] = flushSubnormal(r * a[i] + (T(1) - r) * g[i] * g[i]);
        w[i] -= rate * g[i] / (dsqrt(a[i]) + eps);
    });
}

template <typename T>
void adagradKernel(cudaStream_t s, int64_t n, T* w, const T* g, T* a, T rate, T eps) {
    forEach(s, n, [=] __device__(int64_t i) {
        a[i] += g[i] * g[i];
        w[i] -= rate * g[i] / (dsqrt(a[i]) + eps);
    });
}

template <typename T>
void adamKernel(cudaStream_t s, int64_t n, T* w, const T* g, T* m, T* v, T b1, T b2, T eps, T rateT,
                T decay) {
    forEach(s, n, [=] __device__(int64_t i) {
        w[i] *= decay;
        m[i] = flushSubnormal(b1 * m[i] + (T(1) - b1) * g[i]);
        v[i] = flushSubnormal(b2 * v[i] + (T(1) - b2) * g[i] * g[i]);
        w[i] -= rateT * m[i] / (dsqrt(v[i]) + eps);
    });
}

}  // namespace

void CudaBackend::sgdUpdateImpl(Tensor& w, const Tensor& g, Tensor* velocity, double lr,
                                double momentum, bool nesterov) {
    Scope scope(*this);
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        sgdKernel<T>(m_stream, w.numel(), w.data<T>(), g.data<T>(),
                     velocity != nullptr ? velocity->data<T>() : nullptr, static_cast<T>(lr),
                     static_cast<T>(momentum), nesterov);
    });
}

void CudaBackend::rmspropUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                                    double rho, double epsilon) {
    Scope scope(*this);
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        rmspropKernel<T>(m_stream, w.numel(), w.data<T>(), g.data<T>(), accumulator.data<T>(),
                         static_cast<T>(lr), static_cast<T>(rho), static_cast<T>(epsilon));
    });
}

void CudaBackend::adagradUpdateImpl(Tensor& w, const Tensor& g, Tensor& accumulator, double lr,
                                    double epsilon) {
    Scope scope(*this);
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        adagradKernel<T>(m_stream, w.numel(), w.data<T>(), g.data<T>(), accumulator.data<T>(),
                         static_cast<T>(lr), static_cast<T>(epsilon));
    });
}

void CudaBackend::adamUpdateImpl(Tensor& w, const Tensor& g, Tensor& m, Tensor& v, double lr,
                                 double beta1, double beta2, double epsilon, int64_t step,
                                 double weightDecay) {
    const double t = double(step);
    const double lrT = lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t));
    Scope scope(*this);
    dispatch(w.dtype(), [&](auto tag) {
        using T = decltype(tag);
        // Decoupled weight decay (AdamW) shrinks w before the gradient step, with the plain lr.
        adamKernel<T>(m_stream, w.numel(), w.data<T>(), g.data<T>(), m.data<T>(), v.data<T>(),
                      static_cast<T>(beta1), static_cast<T>(beta2), static_cast<T>(epsilon),
                      static_cast<T>(lrT), static_cast<T>(1.0 - lr * weightDecay));
    });
}

}  // namespace loom
