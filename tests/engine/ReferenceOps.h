#pragma once
/// Test support shared by the backend suites: seeded random tensors, a tolerance comparison
/// that says where two tensors differ, and a central-difference gradient checker (float64).
/// (The direct float64 references of the ops live with the op case table, tests/support.)
/// Header-only; no Qt.

#include <loom/Backend.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
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

}  // namespace loom::test
