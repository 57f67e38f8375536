#pragma once
/// Project: everything a person builds in Loom, saved as one `.loom` file (HDF5) and opened
/// again exactly as it was: the graph with its canvas positions, the training configuration,
/// the data set reference, every training run's history, the weights, the optimizer state and
/// training position (so training resumes where it stopped), and the art settings and images.
///
/// Saves are atomic. Loading checks every size and type before allocating: a truncated,
/// corrupt or hostile file is an IoError naming what is wrong, and a file written by a newer
/// Loom says so.

#include <loom/Graph.h>
#include <loom/Progress.h>
#include <loom/Tensor.h>
#include <loom/Trainer.h>
#include <loom/TrainingConfig.h>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace loom {

/// One training run, as the charts and the runs table show it.
struct RunRecord {
    std::string name;
    std::string startedAt, finishedAt;                   ///< ISO 8601, UTC
    nlohmann::json training = nlohmann::json::object();  ///< the TrainingConfig it ran with
    std::vector<BatchProgress> batches;
    std::vector<EpochProgress> epochs;
    std::vector<StatisticsSample> statistics;  ///< layer statistics, as sampled
    RunFinished finished{RunFinished::Reason::Completed, "", ""};
    /// For a trial of an experiment: {"name": the experiment's, "trial": 1-based, "values":
    /// {setting: value}}; empty for a run of its own.
    nlohmann::json experiment = nlohmann::json::object();
};

/// An optimizer's resumable state (see Optimizer::stateTensors).
struct OptimizerState {
    std::string type;
    int64_t iterations = 0;
    std::map<std::string, Tensor> tensors;  ///< slots by "layer/weight/slot"
};

struct Project {
    Graph graph;  ///< built, with weights, when hasWeights
    bool hasWeights = false;
    TrainingConfig training;
    nlohmann::json data = nlohmann::json::object();  ///< data source and preprocessing
    nlohmann::json art = nlohmann::json::object();   ///< deep dream and style settings
    /// The experiment the person set up (ExperimentPlan::toJson, <loom/Experiment.h>); empty
    /// when none.
    nlohmann::json experiment = nlohmann::json::object();
    std::map<std::string, Tensor> artImages;  ///< last results by name, [3,H,W] in [0,1]
    std::vector<RunRecord> runs;
    std::optional<OptimizerState> optimizer;
    TrainingPosition position;
};

/// The project format this Loom writes; files with a higher version are refused.
constexpr int kProjectFormatVersion = 1;

/// Writes the project atomically (beside, flushed, renamed over path).
void saveProject(const Project& project, const std::string& path);
/// Reads a project; IoError naming the file and the part that is wrong.
Project loadProject(const std::string& path);

/// A host copy of a trainer's optimizer state.
OptimizerState captureOptimizerState(Trainer& trainer);
/// Copies a trainer's optimizer state and position into the project, so that a save captures
/// where training stands; and back, so that the next fit() continues from there.
void captureTrainingState(Trainer& trainer, Project& project);
void restoreTrainingState(const Project& project, Trainer& trainer);

/// A run record named nextRunName(project.runs) for a history, stamped with start and end times.
RunRecord makeRunRecord(const Project& project, const TrainingHistory& history,
                        std::vector<BatchProgress> batches, const std::string& startedAt);
/// The current time as ISO 8601 UTC ("2026-11-22T23:46:01Z").
std::string isoTimestampNow();

}  // namespace loom
