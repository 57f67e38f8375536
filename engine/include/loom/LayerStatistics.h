#pragma once
/// How layer statistics (<loom/StatisticsSample.h>) are taken from a training graph. The trainer
/// samples at the first step and every few batches (TrainingConfig::statistics), reports each
/// sample through the progress queue and keeps them with the run, so charts, the canvas and the
/// project file all read the same numbers.

#include <loom/Graph.h>
#include <loom/StatisticsSample.h>

#include <cstdint>
#include <string>
#include <vector>

namespace loom {

/// Takes samples from a training graph: observe() after the backward pass and before the
/// optimizer's step, finish() after it (for the update ratio). Everything is copied to the host
/// once per sample, so a sample costs about one forward pass and the batches between cost
/// nothing.
class LayerStatisticsCollector {
public:
    /// every: take a sample every this many steps, and at the first (how the network starts).
    explicit LayerStatisticsCollector(int64_t every);
    /// Whether the step about to be taken (1-based) is one to sample.
    bool due(int64_t step) const { return step == 1 || step % m_every == 0; }
    void observe(const Graph& graph);
    StatisticsSample finish(const Graph& graph, int64_t step, int epoch);

private:
    int64_t m_every;
    std::vector<LayerStatistics> m_layers;
    std::vector<std::vector<Tensor>> m_weightsBefore;  ///< per entry of m_layers, host copies
};

/// The statistics of one layer's output alone (activations), for a batch of samples a forward
/// pass left in graph.node(name).output.
LayerStatistics activationStatistics(const Graph& graph, const std::string& name);

}  // namespace loom
