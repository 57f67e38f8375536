#pragma once
/// Reads a statistics sample the way an experienced practitioner reads TensorBoard: which layers
/// are unwell, why, and what people usually change. The canvas marks these layers while a
/// network trains; the thresholds are the rules of thumb the literature gives (Karpathy's 1e-3
/// update ratio, Glorot and Bengio on saturation, He et al. on dead ReLUs).

#include <loom/LayerStatistics.h>

#include <string>
#include <vector>

namespace loom {

enum class LayerProblem {
    NonFinite,           ///< NaN or infinite outputs, weights or gradients
    DeadUnits,           ///< most units output zero for every sample
    Saturated,           ///< most sigmoid / tanh outputs sit at the function's bounds
    VanishingGradients,  ///< gradients orders of magnitude below the output layer's
    ExplodingGradients,  ///< gradients orders of magnitude above the output layer's
    LargeUpdates,        ///< a step moves the weights by more than 1e-2 of their size
    SmallUpdates,        ///< a step moves the weights by less than 1e-4 of their size
};

struct LayerWarning {
    std::string layer;
    LayerProblem problem;
    double value = 0;    ///< the number behind it (a fraction, a ratio)
    std::string reason;  ///< "83% of its units output 0 for every sample of the batch"
    std::string advice;  ///< what people usually change
};

/// Short name of a problem for badges and tables: "dead units", "vanishing gradients", ...
const char* problemName(LayerProblem problem);

/// The thresholds, named so the view and the documentation can quote them.
struct HealthThresholds {
    double deadFraction = 0.5;
    double saturatedFraction = 0.5;
    double vanishingFactor = 1e-3;  ///< gradient RMS below this times the output layer's
    double explodingFactor = 1e3;   ///< gradient RMS above this times the output layer's
    double largeUpdateRatio = 1e-2;
    double smallUpdateRatio = 1e-4;
};

/// Every problem of every layer in the sample, in the order of its layers. The output layer
/// (the last with trainable weights) is the reference for the gradient comparisons.
std::vector<LayerWarning> assessHealth(const StatisticsSample& sample,
                                       const HealthThresholds& thresholds = {});

}  // namespace loom
