#pragma once
// What the commands that train (train, experiment) and evaluate share: which model and data
// they work on, the settings their options override, what they report about the data, and
// a run that a stop signal ends at the end of a batch.

#include "cli/Arguments.h"

#include <loom/Backend.h>
#include <loom/DataSource.h>
#include <loom/ModelFile.h>
#include <loom/Progress.h>

#include <functional>
#include <string>
#include <vector>

namespace loom::cli {

/// The model file: the first positional argument.
const std::string& modelPath(const Arguments& args);

/// The shape of one sample the model takes.
Shape modelInput(const Graph& graph);

/// The data a command works on: --data, else the source the model file's data section names.
std::string dataSpec(const Arguments& args, const ModelFile& model);

/// --epochs, --batch, --optimizer, --lr, --seed, --device and the --stats options override
/// the model file's settings.
void applyOverrides(const Arguments& args, TrainingConfig& config);

/// The backend of the configured device ("auto" falls back to the CPU with a notice); a GPU is
/// named, so that a run says where it ran.
Backend& backendOf(const TrainingConfig& config);

void reportNotes(const std::vector<std::string>& notes, const std::vector<SkippedFile>& skipped);
void reportData(const LoadedData& data);

/// Runs `job` on a worker thread while this one watches for a stop signal (Ctrl-C, SIGTERM,
/// SIGHUP: see StopSignals), which asks the job to stop through its RunControl instead of
/// killing the process; kill -9 cannot be caught, and atomic saves cover it. Rethrows what the
/// job threw; returns the signal that asked it to stop, 0 when none did.
int runInterruptibly(const std::function<void(RunControl&)>& job);

}  // namespace loom::cli
