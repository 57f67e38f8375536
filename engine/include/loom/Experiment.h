#pragma once
/// Experiment: training runs that compare settings. A plan names the settings to vary (its
/// axes) and the values each one tries; its trials are every combination (a grid) or a seeded
/// random sample of them. runExperiment trains the trials one after another, each on its own
/// snapshot of the project with a network built from scratch, records every trial as a run
/// of the project, and marks the best one, whose weights the caller may adopt (adoptRun).

#include <loom/DataSource.h>
#include <loom/Progress.h>
#include <loom/Project.h>
#include <loom/RunSnapshot.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace loom {

/// One setting an experiment varies and the values it tries, in order. Settings:
///  - optimizer: a name ("sgd"; its parameters go back to their defaults, except the learning
///    rate), or the training section's {"type", "params"} object, which replaces them all;
///  - lr (or learning_rate), batch (or batch_size), epochs, seed;
///  - any other key of the training section ("loss", "shuffle") or a dotted path into it
///    ("optimizer.params.momentum", "schedule.type");
///  - LAYER.PARAM, a parameter of one of the network's layers ("dense.units", "dropout.rate"),
///    except the Input layer's: the data are loaded once for every trial.
struct ExperimentAxis {
    std::string setting;
    std::vector<nlohmann::json> values;
};

/// One combination of values: what one run of the experiment trains with.
struct ExperimentTrial {
    std::string name;       ///< the values in the axes' order: "sgd, lr 0.01"
    nlohmann::json values;  ///< {setting: value}
};

struct ExperimentPlan {
    std::vector<ExperimentAxis> axes;
    /// 0: every combination; N: a random sample of N different ones (the whole grid when it
    /// has no more than N).
    size_t randomTrials = 0;
    uint64_t seed = 1;  ///< draws the random sample

    /// The number of combinations; ConfigError beyond a million.
    size_t gridSize() const;
    /// The trials in the order they run: as nested loops over the axes in their order, the
    /// last axis changing fastest. A random sample keeps this order.
    std::vector<ExperimentTrial> trials() const;

    /// A model file's or project's "experiment" section: {"vary": {SETTING: [values], ...},
    /// "random": N, "seed": S}. A JSON object keeps its keys in alphabetical order, so the
    /// axes come in that order. ConfigError naming what is wrong.
    static ExperimentPlan fromJson(const nlohmann::json& json);
    nlohmann::json toJson() const;
};

/// loom-cli's "--vary KEY=v1,v2,...": each value is read as JSON (0.01, true, "a b", [3, 3];
/// commas inside brackets or quotes do not split) or else taken as text (sgd). ConfigError
/// naming what is wrong.
ExperimentAxis parseVary(const std::string& text);

/// A setting's value as a trial's name and a table show it: an optimizer's {"type", "params"}
/// as its type and parameters ("sgd lr 0.01"), text as it is, anything else as JSON.
std::string valueText(const std::string& setting, const nlohmann::json& value);

/// Sets one setting (see ExperimentAxis) of a project. A changed network is read back from its
/// JSON, so it has no weights (nor optimizer state or position) until it is built again.
/// ConfigError naming the setting and, for one that is unknown, what may be varied; or naming
/// the value a setting refuses.
void applySetting(Project& project, const std::string& setting, const nlohmann::json& value);

/// What a trial trains: runSnapshot(base, fromScratch = true) with the trial's values applied
/// (the optimizer first, so that a learning rate varied with it is kept). ConfigError as
/// applySetting does, or naming the first problem of a network the values made invalid.
Project trialProject(const Project& base, const ExperimentTrial& trial);

/// The number that chooses an experiment's best trial: validation accuracy when there are
/// validation data with classes, validation loss when there are validation data, else the
/// training loss (of each trial's last epoch).
enum class ExperimentMetric { ValidationAccuracy, ValidationLoss, Loss };

ExperimentMetric experimentMetric(const LoadedData& data);
/// The trial's value of the metric; NaN when it has none.
double metricValue(const TrialEnded& trial, ExperimentMetric metric);
/// True when trial a is better than b by the metric (higher accuracy, lower loss; of two equal
/// accuracies, the lower validation loss); a trial without a value is never better.
bool isBetter(const TrialEnded& a, const TrialEnded& b, ExperimentMetric metric);

struct ExperimentResult {
    std::vector<TrialEnded> trials;  ///< every trial that started, in order
    /// One run record per started trial, named after its values and holding them in
    /// RunRecord::experiment, to add to the project's runs.
    std::vector<RunRecord> runs;
    ExperimentMetric metric = ExperimentMetric::Loss;
    /// The best of the trials that ran to the end (completed or stopped early by early
    /// stopping); none when no trial did.
    std::optional<size_t> best;
    /// The best trial's trained weights, optimizer state and position, for adoptRun.
    std::optional<TrainingCheckpoint> bestWeights;
};

/// Trains the plan's trials one after another on `data` (loaded once for the base project):
/// each on trialProject(base, trial) with a freshly seeded network, on its training section's
/// device. Every event of a trial's training goes to `sink` between a TrialStarted and a
/// TrialEnded. A stop requested through `control` ends the current trial within one batch
/// and starts no other; the stopped trial is recorded too. Every trial's settings are
/// checked before the first trains (ConfigError as trialProject).
ExperimentResult runExperiment(const Project& base, const ExperimentPlan& plan,
                               const LoadedData& data, ProgressSink* sink = nullptr,
                               RunControl* control = nullptr);

/// Makes the best trial the project's: the training section and network it trained with (on
/// the project's network, so the canvas positions stay) and its weights, optimizer state and
/// position (moved out of result.bestWeights, as adoptRun takes them). Returns false, changing
/// nothing, when the experiment has no best trial.
bool adoptBestTrial(Project& project, ExperimentResult& result);

}  // namespace loom
