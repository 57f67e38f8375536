#pragma once
// Data-parallel training from the command line: `--workers N` starts N local worker processes
// of this program that train as one job, and `--rank R --world-size N --rendezvous SPEC` (or an
// mpirun/srun environment) makes this process one rank of a job.

#include "cli/Arguments.h"

#include <loom/Collective.h>

#include <optional>

namespace loom::cli {

/// The options of a data-parallel job, for a command's Arguments.
inline const std::set<std::string> kJobOptions = {
    "workers", "rank", "world-size", "rendezvous", "collective-timeout", "host"};

/// Runs the command again as `workers` processes, ranks 0 to workers-1 of one job meeting in a
/// new folder, each with its share of this machine's cores (or --threads), and waits for all.
/// Rank 0 prints and saves; the others print only errors. Returns rank 0's exit status, or the
/// first failed worker's.
int runWorkers(int argc, char** argv, int workers, const Arguments& args);

/// This process's place in a job: from --rank/--world-size/--rendezvous, else from an
/// mpirun/srun environment; nothing for a process training alone. Throws ConfigError for an
/// incomplete set of options.
std::optional<JobPlace> jobPlaceOf(const Arguments& args);

}  // namespace loom::cli
