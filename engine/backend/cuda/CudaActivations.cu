// Activations on the GPU, with the CPU backend's formulas (see CpuActivations.cpp): element-wise
// kinds are one grid-stride kernel each (y may alias x, dx may alias dy); softmax runs along
// axis 1 of [N, C, ...] with one warp per position: the lanes split the C values, then combine
// their maxima and their sums (in double) by shuffles.

#include "backend/cuda/CudaLaunch.cuh"
#include "backend/cuda/CudaMath.cuh"

namespace loom {

using namespace cuda;

namespace {

// exp(-|x|) never overflows, and e / (1 + e) keeps full relative precision for very negative x.
template <typename T>
__device__ T sigmoid(T x) {
    T e = dexp(-dabs(x));
    T r = T(1) / (T(1) + e);
    return x >= T(0) ? r : e * r;
}

template <typename T>
void elementwiseForward(cudaStream_t s, ActivationKind kind, T alpha, const T* x, T* y, int64_t n) {
    switch (kind) {
        case ActivationKind::Linear:
            if (x != y) {
                LOOM_CUDA_CHECK(
                    cudaMemcpyAsync(y, x, size_t(n) * sizeof(T), cudaMemcpyDeviceToDevice, s));
            }
            return;
        // NaN passes through (NaN < 0 is false), so the trainer's non-finite check sees it.
        case ActivationKind::Relu:
            forEach(s, n, [=] __device__(int64_t i) { y[i] = x[i] < T(0) ? T(0) : x[i]; });
            return;
        case ActivationKind::LeakyRelu:
            forEach(s, n, [=] __device__(int64_t i) { y[i] = x[i] > T(0) ? x[i] : alpha * x[i]; });
            return;
        case ActivationKind::ClippedRelu:
            forEach(s, n, [=] __device__(int64_t i) {
                const T v = x[i] < T(0) ? T(0) : x[i];
                y[i] = v > alpha ? alpha : v;
            });
            return;
        case ActivationKind::Elu:
            forEach(s, n, [=] __device__(int64_t i) {
                y[i] = x[i] > T(0) ? x[i] : alpha * dexpm1(x[i]);
            });
            return;
        case ActivationKind::Sigmoid:
            forEach(s, n, [=] __device__(int64_t i) { y[i] = sigmoid(x[i]); });
            return;
        case ActivationKind::Tanh:
            forEach(s, n, [=] __device__(int64_t i) { y[i] = dtanh(x[i]); });
            return;
        default:
            throw BackendError(std::string("activationForward: the cuda backend has no '") +
                               activationName(kind) + "' activation");
    }
}

template <typename T>
void elementwiseBackward(cudaStream_t s, ActivationKind kind, T alpha, const T* x, const T* y,
                         const T* dy, T* dx, int64_t n) {
    switch (kind) {
        case ActivationKind::Linear:
            if (dx != dy) {
                LOOM_CUDA_CHECK(
                    cudaMemcpyAsync(dx, dy, size_t(n) * sizeof(T), cudaMemcpyDeviceToDevice, s));
            }
            return;
        case ActivationKind::Relu:
            forEach(s, n, [=] __device__(int64_t i) { dx[i] = x[i] <= T(0) ? T(0) : dy[i]; });
            return;
        case ActivationKind::LeakyRelu:
            forEach(s, n,
                    [=] __device__(int64_t i) { dx[i] = x[i] > T(0) ? dy[i] : alpha * dy[i]; });
            return;
        case ActivationKind::ClippedRelu:
            forEach(s, n, [=] __device__(int64_t i) {
                dx[i] = x[i] > T(0) && x[i] < alpha ? dy[i] : T(0);
            });
            return;
        case ActivationKind::Elu:
            forEach(s, n, [=] __device__(int64_t i) {
                dx[i] = x[i] > T(0) ? dy[i] : dy[i] * (y[i] + alpha);
            });
            return;
        case ActivationKind::Sigmoid:
            forEach(s, n, [=] __device__(int64_t i) { dx[i] = dy[i] * y[i] * (T(1) - y[i]); });
            return;
        case ActivationKind::Tanh:
            forEach(s, n, [=] __device__(int64_t i) { dx[i] = dy[i] * (T(1) - y[i] * y[i]); });
            return;
        default:
            throw BackendError(std::string("activationBackward: the cuda backend has no '") +
                               activationName(kind) + "' activation");
    }
}

// [N, C, inner...]: N * inner positions, each with C values `inner` apart.
struct SoftmaxDims {
    int64_t outer, channels, inner;
    __host__ __device__ int64_t positions() const { return outer * inner; }
    __device__ int64_t base(int64_t position) const {
        return (position / inner) * channels * inner + position % inner;
    }
};

SoftmaxDims softmaxDims(const Tensor& x) {
    int64_t inner = 1;
    for (size_t axis = 2; axis < x.rank(); ++axis) {
        inner *= x.dim(axis);
    }
    return {x.dim(0), x.dim(1), inner};
}

__device__ inline double warpAllSum(double v) {
    for (int offset = 16; offset > 0; offset /= 2) {
        v += __shfl_xor_sync(0xffffffffu, v, offset);
    }
    return v;
}

template <typename T>
__device__ inline T warpAllMax(T v) {
    for (int offset = 16; offset > 0; offset /= 2) {
        T other = __shfl_xor_sync(0xffffffffu, v, offset);
        v = v < other ? other : v;
    }
    return v;
}

constexpr int kWarpsPerBlock = kThreads / 32;

int warpBlocks(int64_t positions) {
    return blocksFor(positions, kWarpsPerBlock);
}

// Max subtraction keeps exp in range; the sum is at least 1 (the maximum's own term).
template <typename T>
__global__ void softmaxForwardKernel(const T* x, T* y, SoftmaxDims d) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = int64_t(gridDim.x) * kWarpsPerBlock;
    for (int64_t pos = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
         pos < d.positions(); pos += warps) {
        const int64_t base = d.base(pos);
        T maxValue = x[base];
        for (int64_t c = lane; c < d.channels; c += 32) {
            const T v = x[base + c * d.inner];
            maxValue = maxValue < v ? v : maxValue;
        }
        maxValue = warpAllMax(maxValue);
        double sum = 0.0;
        for (int64_t c = lane; c < d.channels; c += 32) {
            const T e = dexp(x[base + c * d.inner] - maxValue);
            y[base + c * d.inner] = e;
            sum += e;
        }
        const T scale = static_cast<T>(1.0 / warpAllSum(sum));
        for (int64_t c = lane; c < d.channels; c += 32) {
            y[base + c * d.inner] *= scale;
        }
    }
}

template <typename T>
__global__ void softmaxBackwardKernel(const T* y, const T* dy, T* dx, SoftmaxDims d) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = int64_t(gridDim.x) * kWarpsPerBlock;
    for (int64_t pos = int64_t(blockIdx.x) * kWarpsPerBlock + (threadIdx.x >> 5);
         pos < d.positions(); pos += warps) {
        const int64_t base = d.base(pos);
        double dot = 0.0;
        for (int64_t c = lane; c < d.channels; c += 32) {
            dot += double(dy[base + c * d.inner]) * y[base + c * d.inner];
        }
        dot = warpAllSum(dot);
        for (int64_t c = lane; c < d.channels; c += 32) {
            const int64_t j = base + c * d.inner;
            dx[j] = static_cast<T>(y[j] * (dy[j] - dot));
        }
    }
}

}  // namespace

void CudaBackend::activationForwardImpl(ActivationKind kind, double alpha, const Tensor& x,
                                        Tensor& y) {
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if (kind != ActivationKind::Softmax) {
            elementwiseForward(m_stream, kind, static_cast<T>(alpha), x.data<T>(), y.data<T>(),
                               x.numel());
            return;
        }
        const SoftmaxDims d = softmaxDims(x);
        if (d.channels == 0 || d.positions() == 0) {
            return;
        }
        softmaxForwardKernel<<<warpBlocks(d.positions()), kThreads, 0, m_stream>>>(x.data<T>(),
                                                                                   y.data<T>(), d);
        LOOM_CUDA_CHECK_LAUNCH("softmaxForwardKernel");
    });
}

void CudaBackend::activationBackwardImpl(ActivationKind kind, double alpha, const Tensor& x,
                                         const Tensor& y, const Tensor& dy, Tensor& dx) {
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if (kind != ActivationKind::Softmax) {
            elementwiseBackward(m_stream, kind, static_cast<T>(alpha), x.data<T>(), y.data<T>(),
                                dy.data<T>(), dx.data<T>(), x.numel());
            return;
        }
        const SoftmaxDims d = softmaxDims(y);
        if (d.channels == 0 || d.positions() == 0) {
            return;
        }
        softmaxBackwardKernel<<<warpBlocks(d.positions()), kThreads, 0, m_stream>>>(
            y.data<T>(), dy.data<T>(), dx.data<T>(), d);
        LOOM_CUDA_CHECK_LAUNCH("softmaxBackwardKernel");
    });
}

}  // namespace loom
