#pragma once
/// Data-parallel training's bookkeeping, shared by every rank: which samples of a global batch
/// each rank trains on, and the checks that the ranks train the same model on the same data
/// and still hold the same weights.

#include <loom/Collective.h>
#include <loom/Graph.h>

#include <cstdint>
#include <vector>

namespace loom {

/// One epoch as one rank of `world` sees it. The epoch's global order (the same seeded
/// shuffle on every rank) is cut into global batches of perRank x world samples; rank r
/// trains on the r-th of `world` consecutive slices of each, so that the ranks together train
/// on what one process with the global batch would. A last global batch of fewer samples than
/// ranks is left out (every rank needs a sample).
struct EpochShard {
    std::vector<int64_t> order;          ///< this rank's samples, batch after batch
    std::vector<int64_t> globalBatches;  ///< each batch's global batch size
    std::vector<int64_t> offsets;        ///< where this rank's slice starts in it
};
EpochShard shardEpoch(const std::vector<int64_t>& globalOrder, int64_t perRank, int rank,
                      int world);

/// Throws ConfigError naming the ranks whose `fingerprint` (of the model, the data and the
/// settings) differs from rank 0's: they would train something else.
void requireSameJob(Collective& collective, uint64_t fingerprint);

/// Throws CollectiveError naming the ranks whose trainable weights differ from rank 0's in any
/// bit (a 48-bit hash of them); `when` says when ("after epoch 3"). Batch-normalisation
/// statistics are not weights trained together: each rank keeps its own, as in PyTorch's DDP.
void requireSameWeights(Collective& collective, Graph& graph, const std::string& when);

/// FNV-1a over bytes, continuing from `hash`: the fingerprints' hash.
uint64_t hashBytes(const void* data, size_t size, uint64_t hash = 1469598103934665603ull);

}  // namespace loom
