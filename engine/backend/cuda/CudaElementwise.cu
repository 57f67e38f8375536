// Element-wise ops, reductions, bias and dropout on the GPU: one grid-stride kernel each.
// Outputs may alias inputs (each thread reads its element before writing it). Reductions
// accumulate in double with a fixed split (CudaLaunch.cuh), so results repeat run to run.

#include "backend/CounterRandom.h"
#include "backend/cuda/CudaLaunch.cuh"

#include <cmath>

namespace loom {

using namespace cuda;

namespace {

// [N, C, inner...] as the bias ops see it.
struct BiasDims {
    int64_t n, channels, inner;
};

BiasDims biasDims(const Tensor& t) {
    const int64_t planes = t.dim(0) * t.dim(1);
    return {t.dim(0), t.dim(1), planes > 0 ? t.numel() / planes : 0};
}

template <typename T>
void fillKernel(cudaStream_t s, T* p, int64_t n, T value) {
    forEach(s, n, [=] __device__(int64_t i) { p[i] = value; });
}

template <typename To, typename From>
void convertKernel(cudaStream_t s, const From* from, To* to, int64_t n) {
    forEach(s, n, [=] __device__(int64_t i) { to[i] = static_cast<To>(from[i]); });
}

template <typename T>
void addBiasKernel(cudaStream_t s, T* y, const T* b, BiasDims d) {
    const int64_t n = d.n * d.channels * d.inner;
    if (d.inner == 1) {
        forEach(s, n, [=] __device__(int64_t i) { y[i] += b[i % d.channels]; });
    } else {
        forEach(s, n, [=] __device__(int64_t i) { y[i] += b[(i / d.inner) % d.channels]; });
    }
}

// Dense [N, C]: one thread per column sums down the rows; neighbouring threads read
// neighbouring columns, so each row is read in one coalesced sweep.
template <typename T>
__global__ void biasBackwardDenseKernel(const T* dy, int64_t rows, int64_t columns, T* db) {
    const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (c >= columns) {
        return;
    }
    double acc = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
        acc += dy[r * columns + c];
    }
    db[c] = static_cast<T>(acc);
}

// Images [N, C, H, W]: one block per channel sums its N planes.
template <typename T>
__global__ void biasBackwardSpatialKernel(const T* dy, BiasDims d, T* db) {
    const int64_t c = blockIdx.x;
    const int64_t count = d.n * d.inner;
    double acc = 0.0;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) {
        const int64_t n = i / d.inner, j = i % d.inner;
        acc += dy[(n * d.channels + c) * d.inner + j];
    }
    acc = blockSum(acc);
    if (threadIdx.x == 0) {
        db[c] = static_cast<T>(acc);
    }
}

template <typename T>
void dropoutKernel(cudaStream_t s, const T* x, T* mask, T* y, int64_t n, uint64_t seed,
                   uint64_t offset, int64_t threshold, T scale) {
    // The CPU backend's formula exactly (same generator, same integer compare), so the masks
    // are identical on both devices.
    forEach(s, n, [=] __device__(int64_t i) {
        const T m = scale * T(counterRandomBits(seed, offset + uint64_t(i)) >= threshold);
        mask[i] = m;
        y[i] = x[i] * m;
    });
}

template <typename T>
void axpbyKernel(cudaStream_t s, int64_t n, T a, const T* x, T b, bool ignoreY, T* y) {
    if (ignoreY) {  // beta 0: ignore what y held, NaN included
        forEach(s, n, [=] __device__(int64_t i) { y[i] = a * x[i]; });
    } else {
        forEach(s, n, [=] __device__(int64_t i) { y[i] = a * x[i] + b * y[i]; });
    }
}

template <typename T>
void addKernel(cudaStream_t s, int64_t n, const T* a, const T* b, T* y) {
    forEach(s, n, [=] __device__(int64_t i) { y[i] = a[i] + b[i]; });
}

template <typename T>
void multiplyKernel(cudaStream_t s, int64_t n, const T* a, const T* b, T* y) {
    forEach(s, n, [=] __device__(int64_t i) { y[i] = a[i] * b[i]; });
}

template <typename T>
void sumKernel(const CudaBackend& backend, const T* x, int64_t n, bool squares, T* out) {
    if (squares) {
        reduceSum(
            backend, n, [=] __device__(int64_t i) { return double(x[i]) * double(x[i]); }, 1.0,
            out);
    } else {
        reduceSum(
            backend, n, [=] __device__(int64_t i) { return double(x[i]); }, 1.0, out);
    }
}

template <typename T>
void countNonFiniteKernel(const CudaBackend& backend, const T* x, int64_t n, double* out) {
    reduceSum(
        backend, n, [=] __device__(int64_t i) { return isfinite(x[i]) ? 0.0 : 1.0; }, 1.0, out);
}

__global__ void probeKernel() {}

}  // namespace

namespace cuda {

// Whether this build has machine code (or PTX) the current GPU can run: asked once per backend
// so that a GPU newer or older than the compiled architectures gets a clear message instead of
// failing at the first kernel.
cudaError_t probeKernelImage() {
    cudaFuncAttributes attributes;
    cudaError_t status = cudaFuncGetAttributes(&attributes, probeKernel);
    cudaGetLastError();
    return status;
}

}  // namespace cuda

void CudaBackend::fillImpl(Tensor& t, double value) {
    Scope scope(*this);
    if (value == 0.0 && !std::signbit(value)) {
        // All-zero bits are +0.0 in both float types.
        LOOM_CUDA_CHECK(cudaMemsetAsync(t.raw(), 0, t.bytes(), m_stream));
        return;
    }
    dispatch(t.dtype(), [&](auto tag) {
        using T = decltype(tag);
        fillKernel<T>(m_stream, t.data<T>(), t.numel(), static_cast<T>(value));
    });
}

void CudaBackend::convertOnDevice(const Tensor& src, Tensor& dst) {
    if (src.dtype() == DType::F32) {
        convertKernel(m_stream, src.data<float>(), dst.data<double>(), src.numel());
    } else {
        convertKernel(m_stream, src.data<double>(), dst.data<float>(), src.numel());
    }
}

void CudaBackend::addBiasImpl(Tensor& y, const Tensor& bias) {
    BiasDims d = biasDims(y);
    Scope scope(*this);
    dispatch(y.dtype(), [&](auto tag) {
        using T = decltype(tag);
        addBiasKernel<T>(m_stream, y.data<T>(), bias.data<T>(), d);
    });
}

void CudaBackend::biasBackwardImpl(const Tensor& dy, Tensor& db) {
    BiasDims d = biasDims(dy);
    if (d.channels == 0) {
        return;
    }
    Scope scope(*this);
    dispatch(dy.dtype(), [&](auto tag) {
        using T = decltype(tag);
        if (d.inner == 1) {
            biasBackwardDenseKernel<<<blocksFor(d.channels), kThreads, 0, m_stream>>>(
                dy.data<T>(), d.n, d.channels, db.data<T>());
            LOOM_CUDA_CHECK_LAUNCH("biasBackwardDenseKernel");
        } else {
            // One block per channel: gridDim.x allows 2^31 - 1 channels.
            biasBackwardSpatialKernel<<<unsigned(d.channels), kThreads, 0, m_stream>>>(
                dy.data<T>(), d, db.data<T>());
            LOOM_CUDA_CHECK_LAUNCH("biasBackwardSpatialKernel");
        }
    });
}

void CudaBackend::dropoutForwardImpl(const Tensor& x, double rate, uint64_t seed, uint64_t offset,
                                     Tensor& mask, Tensor& y) {
    Scope scope(*this);
    // Kept when uniform >= rate, i.e. bits >= ceil(rate * 2^53): see the CPU backend.
    const int64_t threshold = static_cast<int64_t>(std::ceil(rate * 0x1.0p53));
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T scale = rate < 1.0 ? static_cast<T>(1.0 / (1.0 - rate)) : T(0);
        dropoutKernel<T>(m_stream, x.data<T>(), mask.data<T>(), y.data<T>(), x.numel(), seed,
                         offset, threshold, scale);
    });
}

void CudaBackend::axpbyImpl(double alpha, const Tensor& x, double beta, Tensor& y) {
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        axpbyKernel<T>(m_stream, x.numel(), static_cast<T>(alpha), x.data<T>(),
                       static_cast<T>(beta), beta == 0.0, y.data<T>());
    });
}

void CudaBackend::addImpl(const Tensor& a, const Tensor& b, Tensor& y) {
    Scope scope(*this);
    dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        addKernel<T>(m_stream, a.numel(), a.data<T>(), b.data<T>(), y.data<T>());
    });
}

void CudaBackend::multiplyImpl(const Tensor& a, const Tensor& b, Tensor& y) {
    Scope scope(*this);
    dispatch(a.dtype(), [&](auto tag) {
        using T = decltype(tag);
        multiplyKernel<T>(m_stream, a.numel(), a.data<T>(), b.data<T>(), y.data<T>());
    });
}

void CudaBackend::sumImpl(const Tensor& x, Tensor& result) {
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        sumKernel<T>(*this, x.data<T>(), x.numel(), false, result.data<T>());
    });
}

void CudaBackend::sumSquaresImpl(const Tensor& x, Tensor& result) {
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        sumKernel<T>(*this, x.data<T>(), x.numel(), true, result.data<T>());
    });
}

int64_t CudaBackend::countNonFiniteImpl(const Tensor& x) {
    Scope scope(*this);
    double* slot = m_partials + kMaxPartials;
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        countNonFiniteKernel<T>(*this, x.data<T>(), x.numel(), slot);
    });
    double count = 0.0;
    download(slot, &count, sizeof count);
    return static_cast<int64_t>(count);
}

}  // namespace loom
