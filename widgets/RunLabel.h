#pragma once

#include <loom/TrainingConfig.h>

#include <QString>

#include <string>

namespace loom {

/// The learning rate a run used: its own setting, else its optimizer's default (NaN for an
/// optimizer this Loom does not know).
double learningRateOf(const TrainingConfig& config);

/// How a run is named in chart legends: its name and what sets it apart from its neighbours,
/// "Run 2 (rmsprop, lr 0.001)". `training` is a RunRecord's training section.
QString runLabel(const std::string& name, const nlohmann::json& training);

}  // namespace loom
