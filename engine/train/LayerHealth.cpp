#include <loom/LayerHealth.h>

#include <array>
#include <cstdio>

namespace loom {

namespace {

// 0.0123 -> "0.0123", 2.6e-07 -> "2.6e-07"
std::string number(double value) {
    std::array<char, 32> text{};
    std::snprintf(text.data(), text.size(), "%.2g", value);
    return text.data();
}

std::string percent(double fraction) {
    return std::to_string(static_cast<int>(fraction * 100 + 0.5)) + "%";
}

double referenceGradientRms(const StatisticsSample& sample) {
    for (auto it = sample.layers.rbegin(); it != sample.layers.rend(); ++it) {
        if (it->weightCount > 0 && std::isfinite(it->gradientRms())) {
            return it->gradientRms();
        }
    }
    return NAN;
}

}  // namespace

const char* problemName(LayerProblem problem) {
    switch (problem) {
        case LayerProblem::NonFinite:
            return "NaN or Inf";
        case LayerProblem::DeadUnits:
            return "dead units";
        case LayerProblem::Saturated:
            return "saturated";
        case LayerProblem::VanishingGradients:
            return "vanishing gradients";
        case LayerProblem::ExplodingGradients:
            return "exploding gradients";
        case LayerProblem::LargeUpdates:
            return "large updates";
        case LayerProblem::SmallUpdates:
            return "small updates";
    }
    return "";
}

std::vector<LayerWarning> assessHealth(const StatisticsSample& sample, const HealthThresholds& t) {
    std::vector<LayerWarning> warnings;
    const double reference = referenceGradientRms(sample);
    for (const LayerStatistics& s : sample.layers) {
        const auto warn = [&](LayerProblem problem, double value, std::string reason,
                              std::string advice) {
            warnings.push_back({s.layer, problem, value, std::move(reason), std::move(advice)});
        };
        if (s.nonFinite > 0) {
            warn(LayerProblem::NonFinite, double(s.nonFinite),
                 std::to_string(s.nonFinite) +
                     " of its outputs, weights or gradients are NaN or "
                     "infinite",
                 "lower the learning rate, check the data for NaN, or add batch normalisation");
        }
        if (s.deadFraction >= t.deadFraction) {
            warn(LayerProblem::DeadUnits, s.deadFraction,
                 percent(s.deadFraction) +
                     " of its units output 0 for every sample of the batch: they no longer learn",
                 "lower the learning rate, start the bias at 0 or a small positive value, use He "
                 "initialisation, or use LeakyReLU or ELU");
        }
        if (s.saturatedFraction >= t.saturatedFraction) {
            warn(LayerProblem::Saturated, s.saturatedFraction,
                 percent(s.saturatedFraction) +
                     " of its outputs sit at the bounds of the activation, where its slope is "
                     "almost 0",
                 "normalise the inputs, use Glorot initialisation, add batch normalisation, or "
                 "use ReLU");
        }
        const double rms = s.gradientRms();
        if (reference > 0 && rms < t.vanishingFactor * reference) {
            warn(LayerProblem::VanishingGradients, rms / reference,
                 "its gradients are " + number(rms / reference) +
                     " times the output layer's: it barely learns",
                 "use ReLU instead of sigmoid or tanh, add batch normalisation or skip "
                 "connections, or use fewer layers");
        }
        if (reference > 0 && rms > t.explodingFactor * reference) {
            warn(LayerProblem::ExplodingGradients, rms / reference,
                 "its gradients are " + number(rms / reference) + " times the output layer's",
                 "lower the learning rate, add batch normalisation, or clip gradients");
        }
        if (s.updateRatio > t.largeUpdateRatio) {
            warn(LayerProblem::LargeUpdates, s.updateRatio,
                 "each step changes its weights by " + number(s.updateRatio) +
                     " of their size (healthy: about 1e-3)",
                 "lower the learning rate");
        } else if (s.updateRatio < t.smallUpdateRatio) {
            warn(LayerProblem::SmallUpdates, s.updateRatio,
                 "each step changes its weights by only " + number(s.updateRatio) +
                     " of their size (healthy: about 1e-3)",
                 "raise the learning rate, or use an adaptive optimizer (Adam, RMSprop)");
        }
    }
    return warnings;
}

}  // namespace loom
