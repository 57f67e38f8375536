#pragma once
// Launch helpers for the CUDA backend's kernels (included by .cu files only): a grid-stride
// loop over n elements, warp and block sums in double, and a deterministic two-pass sum.
//
// Reductions accumulate in double, as the CPU backend's do, and always split the work the same
// way for a given n (a fixed number of blocks, fixed thread order, no atomics), so that a loss
// or a norm is the same from run to run.

#include "backend/cuda/CudaBackend.h"
#include "backend/cuda/CudaSupport.h"

#include <cfloat>
#include <cstdint>

namespace loom::cuda {

constexpr int kThreads = 256;

/// Blocks for a grid-stride loop over n items: enough to fill the GPU, at most 64K blocks
/// (the loop covers the rest).
inline int blocksFor(int64_t n, int threads = kThreads) {
    int64_t blocks = (n + threads - 1) / threads;
    return static_cast<int>(blocks < 1 ? 1 : (blocks > 65536 ? 65536 : blocks));
}

template <typename F>
__global__ void forEachKernel(int64_t n, F f) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        f(i);
    }
}

/// Runs f(i) for every i in [0, n) on the stream (f is a __device__ lambda or functor).
template <typename F>
void forEach(cudaStream_t stream, int64_t n, F f) {
    if (n <= 0) {
        return;
    }
    forEachKernel<<<blocksFor(n), kThreads, 0, stream>>>(n, f);
    LOOM_CUDA_CHECK_LAUNCH("forEachKernel");
}

__device__ inline double warpSum(double v) {
    for (int offset = 16; offset > 0; offset /= 2) {
        v += __shfl_down_sync(0xffffffffu, v, offset);
    }
    return v;
}

/// The sum of v over the block, valid in thread 0. Every thread of the block must call it.
__device__ inline double blockSum(double v) {
    __shared__ double warpSums[32];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warpSum(v);
    if (lane == 0) {
        warpSums[warp] = v;
    }
    __syncthreads();
    const int warps = (blockDim.x + 31) >> 5;
    v = threadIdx.x < warps ? warpSums[threadIdx.x] : 0.0;
    if (warp == 0) {
        v = warpSum(v);
    }
    __syncthreads();  // warpSums may be reused by the caller's next blockSum
    return v;
}

template <typename F>
__global__ void reducePartialKernel(int64_t n, F f, double* partial) {
    const int64_t stride = int64_t(gridDim.x) * blockDim.x;
    double acc = 0.0;
    for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
        acc += f(i);
    }
    acc = blockSum(acc);
    if (threadIdx.x == 0) {
        partial[blockIdx.x] = acc;
    }
}

template <typename T>
__global__ void reduceFinalKernel(const double* partial, int count, double divisor, T* out) {
    double acc = 0.0;
    for (int i = threadIdx.x; i < count; i += blockDim.x) {
        acc += partial[i];
    }
    acc = blockSum(acc);
    if (threadIdx.x == 0) {
        // A division, not a multiplication by 1/divisor: the CPU backend divides.
        out[0] = static_cast<T>(divisor > 0.0 ? acc / divisor : 0.0);
    }
}

/// out[0] = (sum of f(i) for i in [0, n)) / divisor, or 0 when divisor is 0; f returns double
/// and may write other outputs (a loss's gradient) as it goes. Two launches, no atomics.
template <typename T, typename F>
void reduceSum(const CudaBackend& backend, int64_t n, F f, double divisor, T* out) {
    int blocks = 0;
    if (n > 0) {
        blocks = blocksFor(n);
        blocks = blocks > kMaxPartials ? kMaxPartials : blocks;
        reducePartialKernel<<<blocks, kThreads, 0, backend.stream()>>>(n, f, backend.partials());
        LOOM_CUDA_CHECK_LAUNCH("reducePartialKernel");
    }
    reduceFinalKernel<T>
        <<<1, kThreads, 0, backend.stream()>>>(backend.partials(), blocks, divisor, out);
    LOOM_CUDA_CHECK_LAUNCH("reduceFinalKernel");
}

/// The smallest normal number of T (FLT_MIN, DBL_MIN), for flushing subnormal state to zero.
template <typename T>
__host__ __device__ constexpr T smallestNormal() {
    return sizeof(T) == 4 ? T(FLT_MIN) : T(DBL_MIN);
}

}  // namespace loom::cuda
