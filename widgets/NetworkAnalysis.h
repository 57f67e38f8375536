#pragma once

#include <loom/Graph.h>
#include <loom/Shape.h>

#include <nlohmann/json.hpp>

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
/// multiply-adds of its valid layers. The counts come from building a scratch copy of the valid
/// part, never the graph itself: building the document's graph would re-initialise trained
/// weights, and an unwired layer would stop Graph::build for the whole network. The scratch
/// copy is rebuilt only when layers, parameters or wiring changed, not when a layer moved.
class NetworkAnalyser {
public:
    NetworkAnalysis analyse(Graph& graph);

private:
    void countCosts(const Graph& graph, NetworkAnalysis& analysis);

    nlohmann::json m_countedStructure;
    std::map<std::string, LayerAnalysis> m_counted;
};

/// Multiply-adds of one layer per sample: each weight tensor of rank 2 or more (a kernel) is
/// applied once per output position (every pixel of a (channels, height, width) output, once
/// for a flat one). Biases, batch-norm statistics and parameter-free layers count zero, as in
/// the usual MAC tables of papers.
int64_t multiplyAddsOf(const Layer& layer, const Shape& outputShape);

}  // namespace loom
