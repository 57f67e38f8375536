// Batch normalisation over axis 1 of [N, C, ...] on the CPU, in parallel over channels. With
// m = N * (cells per channel), xhat = (x - mean) * invStd and invStd = 1 / sqrt(var + eps):
//   forward   y = gamma * xhat + beta   (training: the batch's mean and biased variance)
//   backward  dbeta = sum dy; dgamma = sum dy * xhat;
//             dx = gamma * invStd / m * (m * dy - dbeta - xhat * dgamma)
// Sums run in double: a channel of a large batch holds hundreds of thousands of values.

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <cmath>

namespace loom {

using namespace cpu;

namespace {

struct BnDims {
    int64_t n, channels, inner;
    int64_t count() const { return n * inner; }
};

BnDims bnDims(const Tensor& x) {
    int64_t inner = 1;
    for (size_t axis = 2; axis < x.rank(); ++axis) {
        inner *= x.dim(axis);
    }
    return {x.dim(0), x.dim(1), inner};
}

// Calls f(value index) for every element of channel c.
template <typename F>
void forChannel(const BnDims& d, int64_t c, F&& f) {
    for (int64_t n = 0; n < d.n; ++n) {
        int64_t base = (n * d.channels + c) * d.inner;
        for (int64_t j = 0; j < d.inner; ++j) {
            f(base + j);
        }
    }
}

// Two passes (mean, then squared deviations) avoid the cancellation of sum(x^2) - m * mean^2.
template <typename T>
void channelMoments(const T* x, const BnDims& d, int64_t c, double& mean, double& var) {
    double sum = 0.0;
    forChannel(d, c, [&](int64_t i) { sum += x[i]; });
    mean = sum / double(d.count());
    double squares = 0.0;
    forChannel(d, c, [&](int64_t i) {
        double dev = x[i] - mean;
        squares += dev * dev;
    });
    var = squares / double(d.count());
}

template <typename T>
void bnTraining(const Tensor& xt, const Tensor& gamma, const Tensor& beta, double momentum,
                double epsilon, Tensor& runningMean, Tensor& runningVar, Tensor& yt,
                Tensor& savedMean, Tensor& savedInvStd, const BnDims& d) {
    const T* x = xt.data<T>();
    T* y = yt.data<T>();
    const T *g = gamma.data<T>(), *b = beta.data<T>();
    T *rm = runningMean.data<T>(), *rv = runningVar.data<T>();
    T *sm = savedMean.data<T>(), *si = savedInvStd.data<T>();
    const double m = double(d.count());
    parallelFor(d.channels, d.count() * 3, [&](int64_t c) {
        double mean, var;
        channelMoments(x, d, c, mean, var);
        double invStd = 1.0 / std::sqrt(var + epsilon);
        T scale = static_cast<T>(g[c] * invStd);
        T shift = static_cast<T>(b[c] - mean * g[c] * invStd);
        forChannel(d, c, [&](int64_t i) { y[i] = x[i] * scale + shift; });
        // The running variance is unbiased (m / (m - 1)), as Keras and cuDNN keep it.
        double unbiased = m > 1 ? var * m / (m - 1) : var;
        rm[c] = static_cast<T>(momentum * rm[c] + (1 - momentum) * mean);
        rv[c] = static_cast<T>(momentum * rv[c] + (1 - momentum) * unbiased);
        sm[c] = static_cast<T>(mean);
        si[c] = static_cast<T>(invStd);
    });
}

template <typename T>
void bnBackward(const Tensor& xt, const Tensor& dyt, const Tensor& gamma, const Tensor& savedMean,
                const Tensor& savedInvStd, Tensor& dxt, Tensor& dgamma, Tensor& dbeta,
                const BnDims& d) {
    const T *x = xt.data<T>(), *dy = dyt.data<T>(), *g = gamma.data<T>();
    const T *sm = savedMean.data<T>(), *si = savedInvStd.data<T>();
    T *dx = dxt.data<T>(), *dg = dgamma.data<T>(), *db = dbeta.data<T>();
    const double m = double(d.count());
    parallelFor(d.channels, d.count() * 3, [&](int64_t c) {
        const double mean = sm[c], invStd = si[c];
        double sumDy = 0.0, sumDyXhat = 0.0;
        forChannel(d, c, [&](int64_t i) {
            sumDy += dy[i];
            sumDyXhat += dy[i] * (x[i] - mean) * invStd;
        });
        db[c] = static_cast<T>(sumDy);
        dg[c] = static_cast<T>(sumDyXhat);
        const double k = g[c] * invStd / m;
        forChannel(d, c, [&](int64_t i) {
            double xhat = (x[i] - mean) * invStd;
            dx[i] = static_cast<T>(k * (m * dy[i] - sumDy - xhat * sumDyXhat));
        });
    });
}

}  // namespace

void CpuBackend::batchNormForwardTrainingImpl(const Tensor& x, const Tensor& gamma,
                                              const Tensor& beta, double momentum, double epsilon,
                                              Tensor& runningMean, Tensor& runningVar, Tensor& y,
                                              Tensor& savedMean, Tensor& savedInvStd) {
    BnDims d = bnDims(x);
    dispatch(x.dtype(), [&](auto tag) {
        bnTraining<decltype(tag)>(x, gamma, beta, momentum, epsilon, runningMean, runningVar, y,
                                  savedMean, savedInvStd, d);
    });
}

void CpuBackend::batchNormForwardInferenceImpl(const Tensor& x, const Tensor& gamma,
                                               const Tensor& beta, const Tensor& runningMean,
                                               const Tensor& runningVar, double epsilon,
                                               Tensor& y) {
    BnDims d = bnDims(x);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T *xp = x.data<T>(), *g = gamma.data<T>(), *b = beta.data<T>();
        const T *rm = runningMean.data<T>(), *rv = runningVar.data<T>();
        T* yp = y.data<T>();
        parallelFor(d.channels, d.count(), [&](int64_t c) {
            double invStd = 1.0 / std::sqrt(double(rv[c]) + epsilon);
            T scale = static_cast<T>(g[c] * invStd);
            T shift = static_cast<T>(b[c] - rm[c] * g[c] * invStd);
            forChannel(d, c, [&](int64_t i) { yp[i] = xp[i] * scale + shift; });
        });
    });
}

void CpuBackend::batchNormBackwardImpl(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                       const Tensor& savedMean, const Tensor& savedInvStd,
                                       Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
    BnDims d = bnDims(x);
    dispatch(x.dtype(), [&](auto tag) {
        bnBackward<decltype(tag)>(x, dy, gamma, savedMean, savedInvStd, dx, dgamma, dbeta, d);
    });
}

}  // namespace loom
