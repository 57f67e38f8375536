#pragma once
/// A training run works on its own snapshot of a project, never on the project itself: the
/// project stays free for editing, saving and undo while a worker trains. When the run ends,
/// its weights, optimizer state and position go back into the project in one step; a save
/// during the run writes the project with the run so far and the weights of its last
/// finished epoch (a checkpoint).

#include <loom/Project.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace loom {

/// Where a run stands at the end of an epoch, as a host copy that outlives the trainer.
struct TrainingCheckpoint {
    Graph graph;
    std::optional<OptimizerState> optimizer;
    TrainingPosition position;
};

/// What a run trains: a copy of the project's network with its weights (copied, not rebuilt),
/// and its training settings, data section, optimizer state and position. fromScratch: the
/// network without weights, and no optimizer state or position. The runs are not copied.
Project runSnapshot(const Project& project, bool fromScratch);

/// A host copy of the trainer's weights, optimizer state and position, taken on the thread
/// that trains (between two batches).
TrainingCheckpoint takeCheckpoint(const Graph& graph, Trainer& trainer);

/// A run in progress as a save writes it: its record so far, and the weights, optimizer state
/// and position of its last finished epoch (none before the first epoch ends).
struct RunInProgress {
    RunRecord record;
    std::shared_ptr<const TrainingCheckpoint> checkpoint;
};

/// The project as a save during a run writes it: its runs plus the run so far, and the
/// checkpoint's weights, optimizer state and position when the project's network is still the
/// one the checkpoint was taken of (same layers, parameters and wiring); its own otherwise.
/// The canvas positions are the project's.
Project projectWithRun(const Project& project, const RunInProgress& run);

/// Takes a run's weights into the project (moved out of `trained`): every layer the project
/// still has unchanged gets its trained weights; when all of them did, the optimizer state and
/// position come too and the project has weights. Returns how many layers took weights.
size_t adoptRun(Project& project, TrainingCheckpoint& trained);

/// "Run N" with N one more than the highest run number so far, so no two runs share a name.
std::string nextRunName(const std::vector<RunRecord>& runs);

/// "Experiment N" with N one more than the highest experiment number of the runs' trials
/// (RunRecord::experiment), so that the trials of two experiments never share a name.
std::string nextExperimentName(const std::vector<RunRecord>& runs);

}  // namespace loom
