#pragma once
// Keras' compile settings (an HDF5 file's training_config, a .keras archive's compile_config)
// and Loom's TrainingConfig, both ways, and the names tf.keras gives optimizer slots.

#include <loom/TrainingConfig.h>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace loom {

/// Reads the optimizer ({class_name, config}: Keras 1's "lr", tf.keras' "learning_rate") and
/// the loss (a name, an alias or a Keras 3 serialized loss) into a TrainingConfig. What Loom
/// cannot reproduce is named in warnings: an optimizer or loss Loom lacks gives nullopt, an
/// option it ignores (lr decay, amsgrad, a schedule) only a warning.
std::optional<TrainingConfig> trainingFromKeras(const nlohmann::json& config,
                                                std::vector<std::string>& warnings);

/// tf.keras' training_config for a Loom training configuration: optimizer_config (class name
/// and every hyperparameter, Loom's defaults filled in), loss, metrics, loss_weights.
/// optimizerParams, when given, are the live optimizer's values. Throws IoError for an
/// optimizer Keras does not have.
nlohmann::json kerasTrainingConfig(const TrainingConfig& training,
                                   const nlohmann::json* optimizerParams = nullptr);

/// A Loom optimizer slot and the name tf.keras' optimizer gives the same slot.
struct KerasSlot {
    std::string loom;   ///< "momentum", "velocity", "accumulator"
    std::string keras;  ///< "momentum", "m", "v", "rms", "accumulator"
};

/// The slots in the order tf.keras creates them (all of the first kind, then the second);
/// empty for SGD without momentum.
std::vector<KerasSlot> kerasSlots(const std::string& optimizerType,
                                  const nlohmann::json& optimizerParams);

/// Keras' class name for a Loom optimizer type ("adam" -> "Adam").
std::string kerasOptimizerClass(const std::string& optimizerType);

}  // namespace loom
