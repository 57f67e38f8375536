#pragma once
/// TrainingConfig: how a model trains, as stored in a model file's "training" section (the
/// same JSON the project file embeds). Every field has Keras' default where Keras has one.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace loom {

/// Learning-rate schedules. Rates are per epoch (epoch counted from 0):
/// constant: lr; step: lr * factor^floor(epoch / every); exponential: lr * factor^epoch;
/// cosine: minLr + (lr - minLr) * (1 + cos(pi * epoch / epochs)) / 2;
/// plateau: lr * factor each time validation loss has not improved for `patience` epochs.
struct ScheduleConfig {
    std::string type = "constant";  ///< constant, step, exponential, cosine, plateau
    double factor = 0.1;
    int every = 10;
    int patience = 5;
    double minLearningRate = 0.0;
};

struct EarlyStoppingConfig {
    bool enabled = false;
    std::string monitor = "val_loss";  ///< val_loss, val_accuracy, loss, accuracy
    int patience = 3;
    double minDelta = 0.0;
    bool restoreBestWeights = true;
};

/// The divergence guard: a learning rate too high for the network makes the loss explode
/// (W4 with SGD at 10 reaches 2.6e19) long before it becomes NaN. A batch whose loss is more
/// than `factor` times the run's first batch loss stops the run (with the weights of the last
/// good epoch and the first layer whose outputs exploded named), or only warns once.
struct DivergenceGuardConfig {
    std::string action = "stop";  ///< stop, warn, off
    double factor = 100;
};

/// Layer statistics during training (<loom/LayerStatistics.h>): a sample of every layer at the
/// first step and every `every` steps; 0 takes about 20 samples an epoch. Off, training
/// computes none of it.
struct StatisticsConfig {
    bool enabled = true;
    int64_t every = 0;
    /// The steps between two samples for an epoch of this many batches.
    int64_t interval(int64_t batchesPerEpoch) const;
};

struct TrainingConfig {
    std::string optimizer = "sgd";
    nlohmann::json optimizerParams = nlohmann::json::object();
    std::string loss = "categorical_crossentropy";
    int64_t batchSize = 32;
    int epochs = 1;
    uint64_t seed = 0;
    bool shuffle = true;
    int topK = 5;  ///< the k of the top-k accuracy metric
    /// Where to train: "auto" (the first GPU when one is usable, else the CPU), "cpu", "cuda"
    /// or "cuda:N" (see parseDevice in Devices.h). The Trainer takes its backend explicitly;
    /// loom-cli and the application pick it from this.
    std::string device = "auto";
    /// Data-parallel workers (ranks) that train as one run, each on batchSize samples of
    /// every global batch of batchSize x workers; more than 1 trains on the CPU only.
    int workers = 1;
    static constexpr int kMaxWorkers = 256;
    /// In data-parallel training, batch normalisation's batch statistics over the global
    /// batch (every rank's samples), as one process would compute them; off (each rank's own
    /// samples, as PyTorch's DDP) saves two sums a layer a step.
    bool syncBatchNorm = false;
    ScheduleConfig schedule;
    EarlyStoppingConfig earlyStopping;
    DivergenceGuardConfig divergenceGuard;
    StatisticsConfig statistics;

    /// Reads a "training" section; unknown keys and bad values throw ConfigError.
    static TrainingConfig fromJson(const nlohmann::json& json);
    nlohmann::json toJson() const;
};

}  // namespace loom
