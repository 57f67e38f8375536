#include <loom/DataParallel.h>

#include <algorithm>

namespace loom {

namespace {

// 48 bits of each rank's value, in its own slot of a sum: every rank then sees all of them
// exactly (a double holds 53 bits), and the ranks that differ from rank 0 can be named.
std::vector<int> ranksDifferingFromFirst(Collective& collective, uint64_t value) {
    std::vector<double> slots(static_cast<size_t>(collective.worldSize()), 0.0);
    slots[static_cast<size_t>(collective.rank())] =
        static_cast<double>(value & ((uint64_t{1} << 48) - 1)) + 1;
    collective.sum(slots.data(), slots.size());
    std::vector<int> differing;
    for (size_t r = 1; r < slots.size(); ++r) {
        if (slots[r] != slots[0]) {
            differing.push_back(static_cast<int>(r));
        }
    }
    return differing;
}

std::string rankList(const std::vector<int>& ranks) {
    std::string text = ranks.size() == 1 ? "rank " : "ranks ";
    for (size_t i = 0; i < ranks.size(); ++i) {
        text += (i > 0 ? ", " : "") + std::to_string(ranks[i]);
    }
    return text;
}

}  // namespace

uint64_t hashBytes(const void* data, size_t size, uint64_t hash) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < size; ++i) {
        hash = (hash ^ bytes[i]) * 1099511628211ull;
    }
    return hash;
}

EpochShard shardEpoch(const std::vector<int64_t>& globalOrder, int64_t perRank, int rank,
                      int world) {
    EpochShard shard;
    const int64_t total = static_cast<int64_t>(globalOrder.size());
    const int64_t global = perRank * world;
    for (int64_t start = 0; start < total; start += global) {
        const int64_t size = std::min(global, total - start);
        if (size < world) {
            break;
        }
        const int64_t from = size * rank / world, to = size * (rank + 1) / world;
        shard.order.insert(shard.order.end(), globalOrder.begin() + start + from,
                           globalOrder.begin() + start + to);
        shard.globalBatches.push_back(size);
        shard.offsets.push_back(from);
    }
    return shard;
}

void requireSameJob(Collective& collective, uint64_t fingerprint) {
    const std::vector<int> differing = ranksDifferingFromFirst(collective, fingerprint);
    if (!differing.empty()) {
        throw ConfigError(rankList(differing) +
                          " would train another model, on other data or with other settings "
                          "than rank 0: start every rank with the same model file and data");
    }
}

void requireSameWeights(Collective& collective, Graph& graph, const std::string& when) {
    uint64_t hash = hashBytes(nullptr, 0);
    for (const auto& [name, parameter] : graph.parameters()) {
        if (!parameter->trainable) {
            continue;
        }
        const Tensor host = parameter->value.device().kind == DeviceKind::CPU
                                ? parameter->value
                                : parameter->value.toHost();
        hash =
            hashBytes(host.data<float>(), static_cast<size_t>(host.numel()) * sizeof(float), hash);
    }
    const std::vector<int> differing = ranksDifferingFromFirst(collective, hash);
    if (!differing.empty()) {
        throw CollectiveError("the weights of " + rankList(differing) + " drifted from rank 0's " +
                              when + ": the ranks no longer train one model");
    }
}

}  // namespace loom
