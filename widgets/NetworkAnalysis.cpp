#include "NetworkAnalysis.h"

#include <loom/LayerCosts.h>

namespace loom {

namespace {

bool hasInputLayer(const Graph& graph) {
    for (const Graph::Node& node : graph.nodes()) {
        if (node.layer->kind().minInputs == 0) {
            return true;
        }
    }
    return false;
}

// Each valid layer's counts, and their sums.
void addCosts(const NetworkCosts& costs, NetworkAnalysis& analysis) {
    for (auto& [name, layer] : analysis.layers) {
        auto counted = costs.layers.find(name);
        if (!layer.valid || counted == costs.layers.end()) {
            continue;
        }
        const LayerCost& cost = counted->second;
        layer.parameters = cost.parameters;
        layer.trainableParameters = cost.trainableParameters;
        layer.multiplyAdds = cost.multiplyAdds;
        analysis.totalParameters += cost.parameters;
        analysis.trainableParameters += cost.trainableParameters;
        analysis.totalMultiplyAdds += cost.multiplyAdds;
    }
}

}  // namespace

const LayerAnalysis* NetworkAnalysis::find(const std::string& name) const {
    auto it = layers.find(name);
    return it == layers.end() ? nullptr : &it->second;
}

bool NetworkAnalysis::isValid() const {
    if (!problem.empty()) {
        return false;
    }
    for (const auto& [name, layer] : layers) {
        if (!layer.valid) {
            return false;
        }
    }
    return true;
}

NetworkAnalysis NetworkAnalyser::analyse(Graph& graph) {
    NetworkAnalysis analysis;
    const std::vector<NodeDiagnostic> diagnostics = graph.validate();
    for (const Graph::Node& node : graph.nodes()) {
        LayerAnalysis& layer = analysis.layers[node.layer->name()];
        layer.valid = node.valid;
        if (node.valid) {
            layer.outputShape = node.outputShape;
        }
    }
    for (const NodeDiagnostic& diagnostic : diagnostics) {
        LayerAnalysis& layer = analysis.layers[diagnostic.node];
        layer.valid = false;
        layer.problem += (layer.problem.empty() ? "" : "\n") + diagnostic.message;
    }
    if (!graph.nodes().empty() && !hasInputLayer(graph)) {
        analysis.problem = "the network has no Input layer";
    }
    addCosts(networkCosts(graph), analysis);
    return analysis;
}

}  // namespace loom
