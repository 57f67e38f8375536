#pragma once
/// Test support shared by the backend suites: seeded random tensors, a tolerance comparison
/// that says where two tensors differ, a central-difference gradient checker (float64), and
/// direct-loop reference implementations of convolution and pooling to check the fast
/// kernels against. Header-only; no Qt.

#include <loom/Backend.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace loom::test {

/// Uniform values in [lo, hi) from the counter-based generator (reproducible everywhere).
inline Tensor randomTensor(const Shape& shape, DType dtype, uint64_t seed, double lo = -1.0,
                           double hi = 1.0) {
    Tensor t = Tensor::empty(shape, dtype);
    for (int64_t i = 0; i < t.numel(); ++i) {
        t.set(i, lo + (hi - lo) * counterUniform(seed, uint64_t(i)));
    }
    return t;
}

/// Values whose magnitude is at least `gap`, so that kinks (ReLU at 0) are never crossed by a
/// finite-difference step.
inline Tensor awayFromZero(const Shape& shape, DType dtype, uint64_t seed, double gap = 0.1) {
    Tensor t = randomTensor(shape, dtype, seed);
    for (int64_t i = 0; i < t.numel(); ++i) {
        double v = t.at(i);
        t.set(i, v >= 0 ? v + gap : v - gap);
    }
    return t;
}

inline Tensor fromValues(const Shape& shape, DType dtype, const std::vector<double>& values) {
    return Tensor::fromVector(shape, values).to(dtype);
}

/// True when |a - b| <= atol + rtol * |b| everywhere; otherwise `why` names the first place.
inline bool allClose(const Tensor& a, const Tensor& b, double atol, double rtol, std::string* why) {
    if (a.shape() != b.shape()) {
        *why = "shapes " + a.shape().str() + " and " + b.shape().str() + " differ";
        return false;
    }
    for (int64_t i = 0; i < a.numel(); ++i) {
        double x = a.at(i), y = b.at(i);
        bool bothNan = std::isnan(x) && std::isnan(y);
        if (!bothNan && !(std::abs(x - y) <= atol + rtol * std::abs(y))) {
            *why = "element " + std::to_string(i) + ": got " + std::to_string(x) + ", expected " +
                   std::to_string(y);
            return false;
        }
    }
    return true;
}

/// sum of a * b, in double.
inline double dot(const Tensor& a, const Tensor& b) {
    double s = 0.0;
    for (int64_t i = 0; i < a.numel(); ++i) {
        s += a.at(i) * b.at(i);
    }
    return s;
}

/// Central differences of the scalar f() with respect to every element of t (float64,
/// perturbed in place and restored).
template <typename F>
Tensor numericGradient(Tensor& t, F&& f, double h = 1e-6) {
    Tensor g = Tensor::zeros(t.shape(), DType::F64);
    for (int64_t i = 0; i < t.numel(); ++i) {
        double saved = t.at(i);
        t.set(i, saved + h);
        double up = f();
        t.set(i, saved - h);
        double down = f();
        t.set(i, saved);
        g.set(i, (up - down) / (2 * h));
    }
    return g;
}

/// Direct 2-D convolution (cross-correlation, as every framework computes it), in double.
/// With groups, output channel k reads the C/groups input channels of its group only.
inline Tensor referenceConv(const Tensor& x, const Tensor& w, const Conv2DGeometry& g) {
    Shape out = g.outputShape(x.shape(), w.shape());
    Tensor y = Tensor::zeros(out, x.dtype());
    const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const int64_t K = w.dim(0), R = w.dim(2), S = w.dim(3), P = out[2], Q = out[3];
    const int64_t groupChannels = w.dim(1), groupFilters = K / g.groups;
    for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < K; ++k)
            for (int64_t p = 0; p < P; ++p)
                for (int64_t q = 0; q < Q; ++q) {
                    double s = 0.0;
                    for (int64_t c = 0; c < groupChannels; ++c)
                        for (int64_t r = 0; r < R; ++r)
                            for (int64_t t = 0; t < S; ++t) {
                                int64_t h = p * g.strideH - g.padTop + r * g.dilationH;
                                int64_t v = q * g.strideW - g.padLeft + t * g.dilationW;
                                int64_t channel = k / groupFilters * groupChannels + c;
                                if (h >= 0 && h < H && v >= 0 && v < W) {
                                    s += x.at(((n * C + channel) * H + h) * W + v) *
                                         w.at(((k * groupChannels + c) * R + r) * S + t);
                                }
                            }
                    y.set(((n * K + k) * P + p) * Q + q, s);
                }
    return y;
}

/// Direct pooling, in double. Padded cells are skipped (and counted only when mode is
/// AverageIncludePadding).
inline Tensor referencePool(PoolMode mode, const Tensor& x, const Pool2DGeometry& g) {
    Shape out = g.outputShape(x.shape());
    Tensor y = Tensor::zeros(out, x.dtype());
    const int64_t planes = x.dim(0) * x.dim(1), H = x.dim(2), W = x.dim(3);
    const int64_t P = out[2], Q = out[3];
    for (int64_t i = 0; i < planes; ++i)
        for (int64_t p = 0; p < P; ++p)
            for (int64_t q = 0; q < Q; ++q) {
                double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
                int64_t cells = 0;
                for (int64_t r = 0; r < g.kernelH; ++r)
                    for (int64_t s = 0; s < g.kernelW; ++s) {
                        int64_t h = p * g.strideH - g.padTop + r;
                        int64_t v = q * g.strideW - g.padLeft + s;
                        if (h >= 0 && h < H && v >= 0 && v < W) {
                            double value = x.at((i * H + h) * W + v);
                            best = std::max(best, value);
                            sum += value;
                            ++cells;
                        }
                    }
                double result = mode == PoolMode::Max ? best
                                : mode == PoolMode::AverageExcludePadding
                                    ? sum / double(cells)
                                    : sum / double(g.kernelH * g.kernelW);
                y.set((i * P + p) * Q + q, result);
            }
    return y;
}

}  // namespace loom::test
