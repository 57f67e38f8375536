#pragma once
/// What each layer of a network costs, from shapes alone: its parameter counts and the
/// multiply-adds of one sample's forward pass. Nothing is allocated or initialised, so a
/// network with billions of weights is counted at once, and the graph itself is left untouched
/// (the document's graph may hold trained weights).

#include <loom/Graph.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace loom {

struct LayerCost {
    int64_t parameters = 0;
    int64_t trainableParameters = 0;  ///< 0 for a frozen layer
    /// Per sample: each weight tensor of rank 2 or more (a kernel) is applied once per output
    /// position (every pixel of a (channels, height, width) output, once for a flat one).
    /// Biases, batch-norm statistics and parameter-free layers count zero, as in the usual
    /// MAC tables of papers.
    int64_t multiplyAdds = 0;

    LayerCost& operator+=(const LayerCost& other);
};

/// The cost of `layer` with these (checked) input shapes and its output shape, counted on a
/// fresh layer of the same kind, parameters and trainability whose build only declares its
/// weights: the counts are what Graph::build would create.
LayerCost layerCost(const Layer& layer, const std::vector<Shape>& inputShapes,
                    const Shape& outputShape);

struct NetworkCosts {
    std::map<std::string, LayerCost> layers;  ///< every valid layer, by name
    LayerCost total;                          ///< the sum over those layers
};

/// The costs of the valid layers of a graph that Graph::validate (or build) has checked, from
/// the shapes, inputs and validity it left in the nodes: a layer is counted when its shape is
/// known, even when the network as a whole would not build.
NetworkCosts networkCosts(const Graph& graph);

}  // namespace loom
