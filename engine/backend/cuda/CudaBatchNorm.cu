// Batch normalisation over axis 1 of [N, C, ...] on the GPU, with the CPU backend's formulas
// (CpuBatchNorm.cpp): two passes in double for the moments, Keras' running statistics with an
// unbiased variance. Own kernels rather than cuDNN's: cuDNN keeps a different saved statistic
// (its own inverse standard deviation, computed in float) and expects its own momentum
// convention, while these match the CPU to the last few bits. One block per channel; the
// inference pass precomputes each channel's scale and shift, then runs element-wise.

#include "backend/cuda/CudaLaunch.cuh"
#include "backend/cuda/CudaMath.cuh"

#include <cmath>

namespace loom {

using namespace cuda;

namespace {

struct BnDims {
    int64_t n, channels, inner;
    __host__ __device__ int64_t count() const { return n * inner; }
    // The flat index of the i-th value of channel c (i in [0, count)).
    __device__ int64_t index(int64_t c, int64_t i) const {
        return ((i / inner) * channels + c) * inner + i % inner;
    }
};

BnDims bnDims(const Tensor& x) {
    int64_t inner = 1;
    for (size_t axis = 2; axis < x.rank(); ++axis) {
        inner *= x.dim(axis);
    }
    return {x.dim(0), x.dim(1), inner};
}

template <typename T>
struct BnTrainingArgs {
    const T *x, *gamma, *beta;
    T *runningMean, *runningVar, *y, *savedMean, *savedInvStd;
    double momentum, epsilon;
};

template <typename T>
__global__ void bnTrainingKernel(BnTrainingArgs<T> a, BnDims d) {
    __shared__ double shared;
    const int64_t c = blockIdx.x, count = d.count();
    const double m = double(count);
    double acc = 0.0;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
        acc += a.x[d.index(c, i)];
    }
    acc = blockSum(acc);
    if (threadIdx.x == 0) {
        shared = acc / m;
    }
    __syncthreads();
    const double mean = shared;
    // Squared deviations from the mean, not sum(x^2) - m * mean^2, which cancels.
    double squares = 0.0;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
        const double dev = a.x[d.index(c, i)] - mean;
        squares += dev * dev;
    }
    squares = blockSum(squares);
    if (threadIdx.x == 0) {
        shared = squares / m;
    }
    __syncthreads();
    const double var = shared;
    const double invStd = 1.0 / sqrt(var + a.epsilon);
    const T scale = static_cast<T>(a.gamma[c] * invStd);
    const T shift = static_cast<T>(a.beta[c] - mean * a.gamma[c] * invStd);
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
        const int64_t j = d.index(c, i);
        a.y[j] = a.x[j] * scale + shift;
    }
    if (threadIdx.x == 0) {
        const double unbiased = m > 1 ? var * m / (m - 1) : var;
        a.runningMean[c] = static_cast<T>(a.momentum * a.runningMean[c] + (1 - a.momentum) * mean);
        a.runningVar[c] =
            static_cast<T>(a.momentum * a.runningVar[c] + (1 - a.momentum) * unbiased);
        a.savedMean[c] = static_cast<T>(mean);
        a.savedInvStd[c] = static_cast<T>(invStd);
    }
}

template <typename T>
struct BnBackwardArgs {
    const T *x, *dy, *gamma, *savedMean, *savedInvStd;
    T *dx, *dgamma, *dbeta;
};

template <typename T>
__global__ void bnBackwardKernel(BnBackwardArgs<T> a, BnDims d) {
    __shared__ double sharedDy, sharedDyXhat;
    const int64_t c = blockIdx.x, count = d.count();
    const double m = double(count), mean = a.savedMean[c], invStd = a.savedInvStd[c];
    double sumDy = 0.0, sumDyXhat = 0.0;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
        const int64_t j = d.index(c, i);
        sumDy += a.dy[j];
        sumDyXhat += a.dy[j] * (a.x[j] - mean) * invStd;
    }
    sumDy = blockSum(sumDy);
    sumDyXhat = blockSum(sumDyXhat);
    if (threadIdx.x == 0) {
        sharedDy = sumDy;
        sharedDyXhat = sumDyXhat;
        a.dbeta[c] = static_cast<T>(sumDy);
        a.dgamma[c] = static_cast<T>(sumDyXhat);
    }
    __syncthreads();
    sumDy = sharedDy;
    sumDyXhat = sharedDyXhat;
    const double k = a.gamma[c] * invStd / m;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
        const int64_t j = d.index(c, i);
        const double xhat = (a.x[j] - mean) * invStd;
        a.dx[j] = static_cast<T>(k * (m * a.dy[j] - sumDy - xhat * sumDyXhat));
    }
}

template <typename T>
void bnInference(cudaStream_t s, const T* x, const T* g, const T* b, const T* rm, const T* rv,
                 double epsilon, T* y, T* scaleShift, BnDims d) {
    const int64_t channels = d.channels;
    forEach(s, channels, [=] __device__(int64_t c) {
        const double invStd = 1.0 / sqrt(double(rv[c]) + epsilon);
        scaleShift[c] = static_cast<T>(g[c] * invStd);
        scaleShift[channels + c] = static_cast<T>(b[c] - rm[c] * g[c] * invStd);
    });
    const int64_t inner = d.inner;
    forEach(s, d.n * channels * inner, [=] __device__(int64_t i) {
        const int64_t c = (i / inner) % channels;
        y[i] = x[i] * scaleShift[c] + scaleShift[channels + c];
    });
}

}  // namespace

void CudaBackend::batchNormForwardTrainingImpl(const Tensor& x, const Tensor& gamma,
                                               const Tensor& beta, double momentum, double epsilon,
                                               Tensor& runningMean, Tensor& runningVar, Tensor& y,
                                               Tensor& savedMean, Tensor& savedInvStd) {
    BnDims d = bnDims(x);
    if (d.channels == 0) {
        return;
    }
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        BnTrainingArgs<T> a{x.data<T>(),
                            gamma.data<T>(),
                            beta.data<T>(),
                            runningMean.data<T>(),
                            runningVar.data<T>(),
                            y.data<T>(),
                            savedMean.data<T>(),
                            savedInvStd.data<T>(),
                            momentum,
                            epsilon};
        bnTrainingKernel<<<unsigned(d.channels), kThreads, 0, m_stream>>>(a, d);
        LOOM_CUDA_CHECK_LAUNCH("bnTrainingKernel");
    });
}

void CudaBackend::batchNormForwardInferenceImpl(const Tensor& x, const Tensor& gamma,
                                                const Tensor& beta, const Tensor& runningMean,
                                                const Tensor& runningVar, double epsilon,
                                                Tensor& y) {
    BnDims d = bnDims(x);
    if (d.channels == 0) {
        return;
    }
    Scope scope(*this);
    Tensor scaleShift = allocate(Shape{2 * d.channels}, x.dtype());
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        bnInference<T>(m_stream, x.data<T>(), gamma.data<T>(), beta.data<T>(),
                       runningMean.data<T>(), runningVar.data<T>(), epsilon, y.data<T>(),
                       scaleShift.data<T>(), d);
    });
}

void CudaBackend::batchNormBackwardImpl(const Tensor& x, const Tensor& dy, const Tensor& gamma,
                                        const Tensor& savedMean, const Tensor& savedInvStd,
                                        Tensor& dx, Tensor& dgamma, Tensor& dbeta) {
    BnDims d = bnDims(x);
    if (d.channels == 0) {
        return;
    }
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        BnBackwardArgs<T> a{x.data<T>(),         dy.data<T>(),          gamma.data<T>(),
                            savedMean.data<T>(), savedInvStd.data<T>(), dx.data<T>(),
                            dgamma.data<T>(),    dbeta.data<T>()};
        bnBackwardKernel<<<unsigned(d.channels), kThreads, 0, m_stream>>>(a, d);
        LOOM_CUDA_CHECK_LAUNCH("bnBackwardKernel");
    });
}

}  // namespace loom
