#pragma once
/// PixelAdam: Adam (Kingma and Ba, with Keras' bias correction folded into the step size)
/// over a picture's pixels, one objective evaluation per step: the alternative to L-BFGS that
/// needs no line search and copes with noisy objectives.
///   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
///   x -= lr sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)

#include <loom/PixelOptimizer.h>

namespace loom {

struct AdamOptions {
    double learningRate = 0.02;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double epsilon = 1e-8;
};

class PixelAdam final : public PixelOptimizer {
public:
    explicit PixelAdam(AdamOptions options = {});

    double step(const Objective& objective, std::vector<double>& x) override;
    bool converged() const override { return false; }
    int64_t evaluations() const override { return m_steps; }

private:
    AdamOptions m_options;
    std::vector<double> m_m, m_v, m_gradient;
    int64_t m_steps = 0;
};

}  // namespace loom
