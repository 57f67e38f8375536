#pragma once
/// Data-parallel training inside one process: the other ranks of a job as threads of it, so
/// that the application's "N CPU workers" train as one run that one Trainer reports.

#include <loom/Dataset.h>
#include <loom/Progress.h>
#include <loom/Trainer.h>

#include <functional>
#include <string>

namespace loom {

/// Empty when this Loom can train data-parallel; else why not (a build without Gloo).
std::string dataParallelUnavailableReason();

/// Fits `trainer` (training `graph`, built, on the CPU) as rank 0 of a data-parallel job of
/// `workers` ranks whose others are threads of this process. Each of them trains its own copy
/// of the graph (Graph::copy) with a Trainer of the same settings on the same data (shared,
/// read only), readied by `prepare` as the caller readied rank 0's (optimizer state, position,
/// augmentation). The ranks share `control`, so that pause and stop reach them all after the
/// same step, and split the calling thread's CPU threads between them. Only rank 0 reports to
/// `sink`. Returns rank 0's history, whose failure message names any other rank's failure.
/// One worker is an ordinary fit().
TrainingHistory fitOnLocalRanks(Trainer& trainer, Graph& graph, int workers,
                                const std::function<void(Trainer&)>& prepare, const Dataset& train,
                                const Dataset* validation, ProgressSink* sink, RunControl* control);

}  // namespace loom
