#pragma once

#include <loom/Graph.h>
#include <loom/Shape.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace loom {

/// What the editor shows about one layer: its output shape when the layer is valid, the
/// reason when it is not, and its cost when known.
struct LayerAnalysis {
    bool valid = false;
    Shape outputShape;
    std::string problem;  ///< Graph::validate's messages for this layer, empty when none
    std::optional<int64_t> parameters;
    std::optional<int64_t> trainableParameters;
    std::optional<int64_t> multiplyAdds;  ///< per sample
};

/// The editor's view of a whole network, recomputed after every edit.
struct NetworkAnalysis {
    std::map<std::string, LayerAnalysis> layers;
    std::string problem;  ///< about the network as a whole ("no Input layer"), empty when none
    int64_t totalParameters = 0;
    int64_t trainableParameters = 0;
    int64_t totalMultiplyAdds = 0;

    const LayerAnalysis* find(const std::string& name) const;
    /// True when every layer is valid and the network as a whole has no problem.
    bool isValid() const;
};

/// NetworkAnalyser: checks a graph with Graph::validate and counts the parameters and
/// multiply-adds of its valid layers from their shapes (<loom/LayerCosts.h>): no weight is
/// allocated and the graph's own, possibly trained, weights are never touched, so an edit of
/// a network with millions of weights is analysed at once.
class NetworkAnalyser {
public:
    NetworkAnalysis analyse(Graph& graph);
};

}  // namespace loom
