// Pooling and zero padding on the CPU. Every (image, channel) plane is independent, so the
// loops run in parallel over planes. Padded cells never win a max and, in
// AverageExcludePadding mode, do not count towards the mean (Keras' and ONNX's default).

#include "backend/cpu/CpuBackend.h"
#include "backend/cpu/CpuSupport.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace loom {

using namespace cpu;

namespace {

struct PoolDims {
    int64_t planes, h, w, p, q;
    Pool2DGeometry g;
};

// The part of a window that lies inside the input: rows [h0, h1), columns [w0, w1).
struct Window {
    int64_t h0, h1, w0, w1;
    int64_t cells() const { return (h1 - h0) * (w1 - w0); }
};

// x [N,C,H,W] pooled into y [N,C,P,Q] (or dy, its gradient).
PoolDims poolDims(const Tensor& x, const Tensor& y, const Pool2DGeometry& g) {
    return {x.dim(0) * x.dim(1), x.dim(2), x.dim(3), y.dim(2), y.dim(3), g};
}

Window window(const PoolDims& d, int64_t p, int64_t q) {
    int64_t top = p * d.g.strideH - d.g.padTop;
    int64_t left = q * d.g.strideW - d.g.padLeft;
    return {std::max<int64_t>(top, 0), std::min<int64_t>(top + d.g.kernelH, d.h),
            std::max<int64_t>(left, 0), std::min<int64_t>(left + d.g.kernelW, d.w)};
}

// The running maximum m updated with v; a NaN wins, so that NaNs propagate instead of
// vanishing. The outcome is random on real data, so it must compile to a select, not a branch:
// the forms here are the ones GCC turns into branch-free code (measured: a bitwise-or variant
// ran 20x slower).
template <typename T>
T maxWithNan(T v, T m) {
    return (v > m || v != v) ? v : m;
}

// True when v is the maximum m found (NaN matching NaN).
template <typename T>
bool matches(T v, T m) {
    return (v == m) | ((v != v) & (m != m));
}

// The flat index of the window's first maximum in row-major order (the first NaN, if any).
template <typename T>
int64_t argMax(const T* plane, const PoolDims& d, const Window& win) {
    int64_t best = win.h0 * d.w + win.w0;
    T bestValue = plane[best];
    for (int64_t h = win.h0; h < win.h1; ++h) {
        for (int64_t w = win.w0; w < win.w1; ++w) {
            T v = plane[h * d.w + w];
            bool take = v > bestValue || (v != v && bestValue == bestValue);
            best = take ? h * d.w + w : best;
            bestValue = take ? v : bestValue;
        }
    }
    return best;
}

template <typename T>
T windowMax(const T* plane, const PoolDims& d, const Window& win) {
    T m = plane[win.h0 * d.w + win.w0];
    for (int64_t h = win.h0; h < win.h1; ++h) {
        for (int64_t w = win.w0; w < win.w1; ++w) {
            m = maxWithNan(plane[h * d.w + w], m);
        }
    }
    return m;
}

// The common 2x2 window with stride 2 and no padding: windows tile the plane, so each output
// reads its four cells directly and each input cell gets its gradient from one window.
bool isPlainTwoByTwo(const Pool2DGeometry& g) {
    return g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2 && g.padTop == 0 &&
           g.padLeft == 0 && g.padBottom == 0 && g.padRight == 0;
}

template <typename T>
void maxPoolTwoByTwo(const T* x, const PoolDims& d, T* y) {
    for (int64_t p = 0; p < d.p; ++p) {
        const T* r0 = x + 2 * p * d.w;
        const T* r1 = r0 + d.w;
        for (int64_t q = 0; q < d.q; ++q) {
            T m = maxWithNan(r0[2 * q + 1], r0[2 * q]);
            m = maxWithNan(r1[2 * q], m);
            y[p * d.q + q] = maxWithNan(r1[2 * q + 1], m);
        }
    }
}

template <typename T>
void maxPoolTwoByTwoBackward(const T* x, const T* dy, const PoolDims& d, T* dx) {
    // Odd extents leave a last row or column that no window covers.
    std::fill(dx + 2 * d.p * d.w, dx + d.h * d.w, T(0));
    for (int64_t p = 0; p < d.p; ++p) {
        const T* r0 = x + 2 * p * d.w;
        const T* r1 = r0 + d.w;
        T* g0 = dx + 2 * p * d.w;
        T* g1 = g0 + d.w;
        for (int64_t q = 0; q < d.q; ++q) {
            T a = r0[2 * q], b = r0[2 * q + 1], c = r1[2 * q], e = r1[2 * q + 1];
            T m = maxWithNan(e, maxWithNan(c, maxWithNan(b, a)));
            // The first cell in row-major order holding the maximum takes the gradient.
            bool ta = matches(a, m), tb = !ta & matches(b, m);
            bool tc = !ta & !tb & matches(c, m), te = !ta & !tb & !tc;
            T g = dy[p * d.q + q];
            g0[2 * q] = ta ? g : T(0);
            g0[2 * q + 1] = tb ? g : T(0);
            g1[2 * q] = tc ? g : T(0);
            g1[2 * q + 1] = te ? g : T(0);
        }
        if (d.w > 2 * d.q) {
            g0[d.w - 1] = T(0);
            g1[d.w - 1] = T(0);
        }
    }
}

double divisor(PoolMode mode, const PoolDims& d, const Window& win) {
    return mode == PoolMode::AverageIncludePadding ? double(d.g.kernelH) * d.g.kernelW
                                                   : double(win.cells());
}

template <typename T>
void poolForwardPlane(PoolMode mode, const T* x, const PoolDims& d, T* y) {
    if (mode == PoolMode::Max && isPlainTwoByTwo(d.g)) {
        maxPoolTwoByTwo(x, d, y);
        return;
    }
    for (int64_t p = 0; p < d.p; ++p) {
        for (int64_t q = 0; q < d.q; ++q) {
            Window win = window(d, p, q);
            if (mode == PoolMode::Max) {
                y[p * d.q + q] = windowMax(x, d, win);
                continue;
            }
            T sum = 0;
            for (int64_t h = win.h0; h < win.h1; ++h) {
                for (int64_t w = win.w0; w < win.w1; ++w) {
                    sum += x[h * d.w + w];
                }
            }
            y[p * d.q + q] = static_cast<T>(sum / divisor(mode, d, win));
        }
    }
}

template <typename T>
void poolBackwardPlane(PoolMode mode, const T* x, const T* dy, const PoolDims& d, T* dx) {
    if (mode == PoolMode::Max && isPlainTwoByTwo(d.g)) {
        maxPoolTwoByTwoBackward(x, dy, d, dx);
        return;
    }
    std::fill(dx, dx + d.h * d.w, T(0));
    for (int64_t p = 0; p < d.p; ++p) {
        for (int64_t q = 0; q < d.q; ++q) {
            Window win = window(d, p, q);
            T g = dy[p * d.q + q];
            if (mode == PoolMode::Max) {
                dx[argMax(x, d, win)] += g;
                continue;
            }
            T share = static_cast<T>(g / divisor(mode, d, win));
            for (int64_t h = win.h0; h < win.h1; ++h) {
                for (int64_t w = win.w0; w < win.w1; ++w) {
                    dx[h * d.w + w] += share;
                }
            }
        }
    }
}

// Copies the interior of the padded plane to or from the unpadded one.
template <typename T, bool ToPadded>
void copyInterior(T* padded, T* plain, int64_t h, int64_t w, int64_t paddedW, const Padding2D& p) {
    for (int64_t row = 0; row < h; ++row) {
        T* inner = padded + (row + p.top) * paddedW + p.left;
        if constexpr (ToPadded) {
            std::copy(plain + row * w, plain + (row + 1) * w, inner);
        } else {
            std::copy(inner, inner + w, plain + row * w);
        }
    }
}

}  // namespace

void CpuBackend::pool2dForwardImpl(PoolMode mode, const Tensor& x, const Pool2DGeometry& g,
                                   Tensor& y) {
    PoolDims d = poolDims(x, y, g);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* xp = x.data<T>();
        T* yp = y.data<T>();
        parallelFor(d.planes, d.h * d.w, [&](int64_t i) {
            poolForwardPlane(mode, xp + i * d.h * d.w, d, yp + i * d.p * d.q);
        });
    });
}

void CpuBackend::pool2dBackwardImpl(PoolMode mode, const Tensor& x, const Tensor& /*y*/,
                                    const Tensor& dy, const Pool2DGeometry& g, Tensor& dx) {
    PoolDims d = poolDims(x, dy, g);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* xp = x.data<T>();
        const T* dyp = dy.data<T>();
        T* dxp = dx.data<T>();
        parallelFor(d.planes, d.h * d.w, [&](int64_t i) {
            poolBackwardPlane(mode, xp + i * d.h * d.w, dyp + i * d.p * d.q, d,
                              dxp + i * d.h * d.w);
        });
    });
}

void CpuBackend::globalAveragePoolForwardImpl(const Tensor& x, Tensor& y) {
    const int64_t planes = x.dim(0) * x.dim(1), cells = x.dim(2) * x.dim(3);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* xp = x.data<T>();
        T* yp = y.data<T>();
        parallelFor(planes, cells, [&](int64_t i) {
            yp[i] = static_cast<T>(sumOf(xp + i * cells, cells) / double(cells));
        });
    });
}

void CpuBackend::globalAveragePoolBackwardImpl(const Tensor& dy, Tensor& dx) {
    const int64_t planes = dx.dim(0) * dx.dim(1), cells = dx.dim(2) * dx.dim(3);
    dispatch(dx.dtype(), [&](auto tag) {
        using T = decltype(tag);
        const T* dyp = dy.data<T>();
        T* dxp = dx.data<T>();
        parallelFor(planes, cells, [&](int64_t i) {
            T share = static_cast<T>(dyp[i] / double(cells));
            std::fill(dxp + i * cells, dxp + (i + 1) * cells, share);
        });
    });
}

void CpuBackend::pad2dForwardImpl(const Tensor& x, const Padding2D& p, Tensor& y) {
    const int64_t h = x.dim(2), w = x.dim(3), ph = y.dim(2), pw = y.dim(3);
    dispatch(x.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* xp = x.data<T>();
        T* yp = y.data<T>();
        parallelFor(x.dim(0) * x.dim(1), ph * pw, [&](int64_t i) {
            T* plane = yp + i * ph * pw;
            std::fill(plane, plane + ph * pw, T(0));
            copyInterior<T, true>(plane, xp + i * h * w, h, w, pw, p);
        });
    });
}

void CpuBackend::pad2dBackwardImpl(const Tensor& dy, const Padding2D& p, Tensor& dx) {
    const int64_t h = dx.dim(2), w = dx.dim(3), ph = dy.dim(2), pw = dy.dim(3);
    dispatch(dx.dtype(), [&](auto tag) {
        using T = decltype(tag);
        T* dyp = dy.data<T>();
        T* dxp = dx.data<T>();
        parallelFor(dx.dim(0) * dx.dim(1), ph * pw, [&](int64_t i) {
            copyInterior<T, false>(dyp + i * ph * pw, dxp + i * h * w, h, w, pw, p);
        });
    });
}

}  // namespace loom
