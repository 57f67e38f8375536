#pragma once
// Central-difference gradient checking in float64 (Caffe-style, kink-aware): each checked
// coordinate is moved by +-h and the change of a scalar objective compared with the analytic
// gradient. Where the one-sided differences disagree the objective has a kink there (ReLU at
// 0, a max-pool tie) and the coordinate is skipped and counted rather than failed.

#include <loom/Tensor.h>

#include <cmath>
#include <functional>
#include <sstream>
#include <string>

namespace loom::testing {

struct GradientCheckResult {
    int checked = 0;
    int kinks = 0;
    double worstError = 0.0;
    std::string failure;  ///< empty when every checked coordinate agreed
};

/// Compares analytic[i] with (f(x + h e_i) - f(x - h e_i)) / 2h for up to maxCoordinates
/// coordinates of `x` (spread evenly). `objective` must read x's current values.
inline GradientCheckResult checkGradient(const std::string& what, Tensor& x, const Tensor& analytic,
                                         const std::function<double()>& objective,
                                         int maxCoordinates = 40, double h = 1e-6,
                                         double tolerance = 1e-5) {
    GradientCheckResult result;
    const int64_t n = x.numel();
    const int64_t stride = std::max<int64_t>(1, n / maxCoordinates);
    const double f0 = objective();
    for (int64_t i = 0; i < n; i += stride) {
        const double original = x.at(i);
        x.set(i, original + h);
        const double fPlus = objective();
        x.set(i, original - h);
        const double fMinus = objective();
        x.set(i, original);
        const double forwardDiff = (fPlus - f0) / h;
        const double backwardDiff = (f0 - fMinus) / h;
        const double numeric = (fPlus - fMinus) / (2 * h);
        const double scale = std::max({1.0, std::abs(numeric), std::abs(analytic.at(i))});
        if (std::abs(forwardDiff - backwardDiff) > 1e-3 * scale) {
            ++result.kinks;
            continue;
        }
        ++result.checked;
        const double error = std::abs(numeric - analytic.at(i)) / scale;
        result.worstError = std::max(result.worstError, error);
        if (error > tolerance && result.failure.empty()) {
            std::ostringstream message;
            message << what << "[" << i << "]: analytic " << analytic.at(i) << " vs numeric "
                    << numeric << " (relative error " << error << ")";
            result.failure = message.str();
        }
    }
    return result;
}

/// Fills a host tensor with values drawn uniformly from [low, high).
inline void fillUniform(Tensor& t, uint64_t seed, double low = -1.0, double high = 1.0) {
    uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (int64_t i = 0; i < t.numel(); ++i) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        t.set(i, low + (high - low) * static_cast<double>(state >> 11) * 0x1.0p-53);
    }
}

}  // namespace loom::testing
