#pragma once
/// Collective operations between the processes of one data-parallel training job, one process
/// a rank, as Horovod and PyTorch's DistributedDataParallel use them: every rank calls the same
/// operations in the same order, and each returns when all ranks have contributed. Loom does
/// not move the bytes itself: Gloo does (TCP, ring all-reduce), after a rendezvous through a
/// shared folder or a Redis server.

#include <loom/Error.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace loom {

/// A collective failed: a rank died, hung past the timeout or could not be reached. The
/// message names this rank, the operation and what the transport said; the job cannot go on.
class CollectiveError : public Error {
public:
    using Error::Error;
};

/// Where this process stands in a job: its rank, how many ranks there are and how they meet.
struct JobPlace {
    int rank = 0;
    int worldSize = 1;
    /// "file:FOLDER" (a new, empty folder every rank can reach, e.g. on a shared file system)
    /// or "redis:HOST:PORT".
    std::string rendezvous;
    /// How long any collective, the rendezvous included, may wait for the other ranks.
    std::chrono::milliseconds timeout = std::chrono::seconds(60);
    /// The name this machine's peers reach it by (TCP); empty: the host name, or 127.0.0.1
    /// when every rank runs here.
    std::string host;
};

/// The rank and world size a launcher gave this process through its environment: mpirun's
/// (OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE), MPICH/PMI's (PMI_RANK, PMI_SIZE) or Slurm's
/// srun (SLURM_PROCID, SLURM_NTASKS); rendezvous from LOOM_RENDEZVOUS. Nothing when no
/// launcher set them. Throws ConfigError for values that are not numbers.
std::optional<JobPlace> jobPlaceFromEnvironment();

class Collective {
public:
    virtual ~Collective() = default;
    virtual int rank() const = 0;
    virtual int worldSize() const = 0;
    /// Element-wise sums over every rank, in place: each rank ends with the same totals.
    virtual void sum(float* values, size_t count) = 0;
    virtual void sum(double* values, size_t count) = 0;
};

/// Joins the job `place` describes (a job of one rank without a rendezvous: one whose sums
/// leave every value as it is): waits (up to place.timeout) for every rank at the
/// rendezvous and connects to each. Throws CollectiveError when the others do not come,
/// ConfigError for a malformed rendezvous or a build without Gloo.
std::unique_ptr<Collective> connectCollective(const JobPlace& place);

}  // namespace loom
