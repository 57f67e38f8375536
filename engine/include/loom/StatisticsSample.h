#pragma once
/// What each layer of a network is doing while it trains: its activations (mean, spread, dead
/// and saturated units), its weights and gradients (norms, histograms) and how far each step
/// moves its weights (the update-to-weight ratio), at one sampled step.

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace loom {

/// Equal-width bins over [low, high] of the finite values seen; all zero when none were.
struct Histogram {
    static constexpr size_t kBins = 64;
    double low = 0, high = 0;
    std::array<double, kBins> counts{};

    static Histogram of(const float* values, int64_t count);
    double total() const;
    /// The value below which a fraction q (0..1) of the values lie, interpolated within its bin.
    double percentile(double q) const;
};

/// One layer at one sampled step. The weight figures are NaN for a layer without trainable
/// weights (and activation figures that do not apply are NaN).
struct LayerStatistics {
    std::string layer;
    double activationMean = NAN, activationStd = NAN;
    double zeroFraction = NAN;  ///< of the output values that are exactly zero
    /// Of the layer's units (features of a flat output, channels of an image) that are zero for
    /// every sample of the batch: ReLU units that no longer learn.
    double deadFraction = NAN;
    /// Of the outputs of a sigmoid or tanh that lie within 1% of the function's bounds, where its
    /// gradient all but vanishes; NaN for other activations.
    double saturatedFraction = NAN;
    int64_t weightCount = 0;  ///< trainable weight values the norms are over
    double weightNorm = NAN, gradientNorm = NAN;
    double updateRatio = NAN;  ///< ||W after the step - W before|| / ||W before||
    int64_t nonFinite = 0;     ///< NaN or infinite values in the output, weights and gradients
    Histogram activations, weights, gradients;

    /// gradientNorm per weight value: comparable between layers of different sizes.
    double gradientRms() const;
};

/// Every layer (but the Input layers) at one training step, in the order the graph runs.
struct StatisticsSample {
    int64_t step = 0;  ///< 1-based, counted from the start of training
    int epoch = 0;     ///< 1-based
    std::vector<LayerStatistics> layers;
};

}  // namespace loom
