// Pooling and zero padding on the GPU. Own kernels rather than cuDNN's pooling: Loom pads
// top and bottom independently (cuDNN only symmetrically), routes a max-pooling gradient to
// the first maximum of its window in row-major order and lets NaN win a max (cuDNN specifies
// neither), and these follow the CPU backend (CpuPooling.cpp) rule for rule, so that both
// devices give the same results. Pooling is memory-bound, so nothing is lost.
//
// Forward: one thread per output cell. Backward: one thread per input cell, which gathers from
// the windows that cover it in the order the CPU backend scatters into it, so no atomics are
// needed and the sums are the CPU's.

#include "backend/cuda/CudaLaunch.cuh"

namespace loom {

using namespace cuda;

namespace {

struct PoolDims {
    int64_t planes, h, w, p, q;
    int kernelH, kernelW, strideH, strideW, padTop, padLeft;
    bool includePadding;
};

// x [N,C,H,W] pooled into y [N,C,P,Q] (or dy, its gradient).
PoolDims poolDims(const Tensor& x, const Tensor& y, const Pool2DGeometry& g, PoolMode mode) {
    return {x.dim(0) * x.dim(1),
            x.dim(2),
            x.dim(3),
            y.dim(2),
            y.dim(3),
            g.kernelH,
            g.kernelW,
            g.strideH,
            g.strideW,
            g.padTop,
            g.padLeft,
            mode == PoolMode::AverageIncludePadding};
}

// The part of window (p, q) inside the input: rows [h0, h1), columns [w0, w1).
struct Window {
    int64_t h0, h1, w0, w1;
};

__device__ inline Window window(const PoolDims& d, int64_t p, int64_t q) {
    const int64_t top = p * d.strideH - d.padTop, left = q * d.strideW - d.padLeft;
    return {top > 0 ? top : 0, top + d.kernelH < d.h ? top + d.kernelH : d.h, left > 0 ? left : 0,
            left + d.kernelW < d.w ? left + d.kernelW : d.w};
}

__device__ inline double divisor(const PoolDims& d, const Window& win) {
    return d.includePadding ? double(d.kernelH) * d.kernelW
                            : double((win.h1 - win.h0) * (win.w1 - win.w0));
}

// The window's maximum, a NaN winning (it is never replaced: NaN compares false).
template <typename T>
__device__ T windowMax(const T* plane, const PoolDims& d, const Window& win) {
    T m = plane[win.h0 * d.w + win.w0];
    for (int64_t h = win.h0; h < win.h1; ++h) {
        for (int64_t w = win.w0; w < win.w1; ++w) {
            const T v = plane[h * d.w + w];
            m = (v > m || v != v) ? v : m;
        }
    }
    return m;
}

// The flat index of the window's first maximum in row-major order (its first NaN, if any).
template <typename T>
__device__ int64_t argMax(const T* plane, const PoolDims& d, const Window& win) {
    int64_t best = win.h0 * d.w + win.w0;
    T bestValue = plane[best];
    for (int64_t h = win.h0; h < win.h1; ++h) {
        for (int64_t w = win.w0; w < win.w1; ++w) {
            const T v = plane[h * d.w + w];
            if (v > bestValue || (v != v && bestValue == bestValue)) {
                best = h * d.w + w;
                bestValue = v;
            }
        }
    }
    return best;
}

template <typename T>
void poolForward(cudaStream_t s, bool max, const T* x, T* y, PoolDims d) {
    forEach(s, d.planes * d.p * d.q, [=] __device__(int64_t i) {
        const int64_t plane = i / (d.p * d.q), p = i / d.q % d.p, q = i % d.q;
        const T* in = x + plane * d.h * d.w;
        const Window win = window(d, p, q);
        if (max) {
            y[i] = windowMax(in, d, win);
            return;
        }
        // Summed in T in row-major order, as the CPU backend sums.
        T sum = 0;
        for (int64_t h = win.h0; h < win.h1; ++h) {
            for (int64_t w = win.w0; w < win.w1; ++w) {
                sum += in[h * d.w + w];
            }
        }
        y[i] = static_cast<T>(sum / divisor(d, win));
    });
}

// The windows along one axis that contain input cell `at`: [first, last] (empty when
// first > last). Window o covers [o * stride - pad, o * stride - pad + kernel).
__device__ inline void coveringWindows(int64_t at, int64_t pad, int64_t kernel, int64_t stride,
                                       int64_t outputs, int64_t& first, int64_t& last) {
    const int64_t lowest = at + pad - kernel + 1;  // o * stride >= lowest
    first = lowest <= 0 ? 0 : (lowest + stride - 1) / stride;
    last = (at + pad) / stride;  // at + pad >= 0 always
    last = last < outputs - 1 ? last : outputs - 1;
}

template <typename T>
void poolBackward(cudaStream_t s, bool max, const T* x, const T* dy, T* dx, PoolDims d) {
    forEach(s, d.planes * d.h * d.w, [=] __device__(int64_t i) {
        const int64_t plane = i / (d.h * d.w), h = i / d.w % d.h, w = i % d.w;
        const int64_t cell = h * d.w + w;
        const T* in = x + plane * d.h * d.w;
        const T* g = dy + plane * d.p * d.q;
        int64_t p0, p1, q0, q1;
        coveringWindows(h, d.padTop, d.kernelH, d.strideH, d.p, p0, p1);
        coveringWindows(w, d.padLeft, d.kernelW, d.strideW, d.q, q0, q1);
        T acc = 0;
        for (int64_t p = p0; p <= p1; ++p) {
            for (int64_t q = q0; q <= q1; ++q) {
                const Window win = window(d, p, q);
                if (max) {
                    if (argMax(in, d, win) == cell) {
                        acc += g[p * d.q + q];
                    }
                } else {
                    acc += static_cast<T>(g[p * d.q + q] / divisor(d, win));
                }
            }
        }
        dx[i] = acc;
    });
}

// One warp per plane: the lanes sum its cells (in double) and combine by shuffles.
template <typename T>
__global__ void globalAveragePoolKernel(const T* x, int64_t planes, int64_t cells, T* y) {
    const int lane = threadIdx.x & 31;
    const int64_t warps = int64_t(gridDim.x) * (blockDim.x >> 5);
    for (int64_t plane = int64_t(blockIdx.x) * (blockDim.x >> 5) + (threadIdx.x >> 5);
         plane < planes; plane += warps) {
        double acc = 0.0;
        for (int64_t j = lane; j < cells; j += 32) {
            acc += x[plane * cells + j];
        }
        for (int offset = 16; offset > 0; offset /= 2) {
            acc += __shfl_xor_sync(0xffffffffu, acc, offset);
        }
        if (lane == 0) {
            y[plane] = static_cast<T>(acc / double(cells));
        }
    }
}

template <typename T>
void globalAveragePoolBackwardKernel(cudaStream_t s, const T* dy, T* dx, int64_t n, int64_t cells) {
    forEach(s, n,
            [=] __device__(int64_t i) { dx[i] = static_cast<T>(dy[i / cells] / double(cells)); });
}

// Unpadded [planes, h, w] inside padded [planes, ph, pw] at (top, left).
struct PadDims {
    int64_t planes, h, w, ph, pw, top, left;
};

template <typename T>
void padForward(cudaStream_t s, const T* x, T* y, PadDims d) {
    forEach(s, d.planes * d.ph * d.pw, [=] __device__(int64_t i) {
        const int64_t plane = i / (d.ph * d.pw), r = i / d.pw % d.ph - d.top, c = i % d.pw - d.left;
        y[i] = (r >= 0 && r < d.h && c >= 0 && c < d.w) ? x[(plane * d.h + r) * d.w + c] : T(0);
    });
}

template <typename T>
void padBackward(cudaStream_t s, const T* dy, T* dx, PadDims d) {
    forEach(s, d.planes * d.h * d.w, [=] __device__(int64_t i) {
        const int64_t plane = i / (d.h * d.w), r = i / d.w % d.h, c = i % d.w;
        dx[i] = dy[(plane * d.ph + r + d.top) * d.pw + c + d.left];
    });
}

}  // namespace

void CudaBackend::pool2dForwardImpl(PoolMode mode, const Tensor& x, const Pool2DGeometry& g,
                                    Tensor& y) {
    PoolDims d = poolDims(x, y, g, mode);
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        poolForward<T>(m_stream, mode == PoolMode::Max, x.data<T>(), y.data<T>(), d);
    });
}

void CudaBackend::pool2dBackwardImpl(PoolMode mode, const Tensor& x, const Tensor& /*y*/,
                                     const Tensor& dy, const Pool2DGeometry& g, Tensor& dx) {
    PoolDims d = poolDims(x, dy, g, mode);
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        poolBackward<T>(m_stream, mode == PoolMode::Max, x.data<T>(), dy.data<T>(), dx.data<T>(),
                        d);
    });
}

void CudaBackend::globalAveragePoolForwardImpl(const Tensor& x, Tensor& y) {
    const int64_t planes = x.dim(0) * x.dim(1), cells = x.dim(2) * x.dim(3);
    if (planes == 0) {
        return;
    }
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        globalAveragePoolKernel<<<blocksFor(planes, kThreads / 32), kThreads, 0, m_stream>>>(
            x.data<T>(), planes, cells, y.data<T>());
        LOOM_CUDA_CHECK_LAUNCH("globalAveragePoolKernel");
    });
}

void CudaBackend::globalAveragePoolBackwardImpl(const Tensor& dy, Tensor& dx) {
    const int64_t cells = dx.dim(2) * dx.dim(3);
    Scope scope(*this);
    dispatch(dx.dtype(), [&](auto tag) {
        using T = decltype(tag);
        globalAveragePoolBackwardKernel<T>(m_stream, dy.data<T>(), dx.data<T>(), dx.numel(), cells);
    });
}

void CudaBackend::pad2dForwardImpl(const Tensor& x, const Padding2D& p, Tensor& y) {
    PadDims d{x.dim(0) * x.dim(1), x.dim(2), x.dim(3), y.dim(2), y.dim(3), p.top, p.left};
    Scope scope(*this);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        padForward<T>(m_stream, x.data<T>(), y.data<T>(), d);
    });
}

void CudaBackend::pad2dBackwardImpl(const Tensor& dy, const Padding2D& p, Tensor& dx) {
    PadDims d{dx.dim(0) * dx.dim(1), dx.dim(2), dx.dim(3), dy.dim(2), dy.dim(3), p.top, p.left};
    Scope scope(*this);
    dispatch(dx.dtype(), [&](auto tag) {
        using T = decltype(tag);
        padBackward<T>(m_stream, dy.data<T>(), dx.data<T>(), d);
    });
}

}  // namespace loom
