#include <loom/FrozenBase.h>

namespace loom {

namespace {

// Training could change what the layer computes, or it computes differently while training.
bool changesInTraining(const Layer& layer) {
    const std::string& type = layer.type();
    return (layer.trainable() && layer.trainableParameterCount() > 0) ||
           type.find("Dropout") != std::string::npos || type.find("Noise") != std::string::npos;
}

}  // namespace

std::string frozenBaseEnd(const Graph& graph) {
    const std::vector<Graph::Node>& nodes = graph.nodes();
    std::vector<bool> base(nodes.size(), false);
    bool computes = false;
    for (size_t index : graph.order()) {
        const Graph::Node& n = nodes[index];
        bool frozen = n.inputIndices.empty() || !changesInTraining(*n.layer);
        for (size_t from : n.inputIndices) {
            frozen = frozen && base[from];
        }
        base[index] = frozen;
        computes = computes || (frozen && !n.inputIndices.empty());
    }
    std::string end;
    for (const Graph::Node& n : nodes) {
        for (size_t from : n.inputIndices) {
            const bool feedsTheRest = !base[&n - nodes.data()] && base[from];
            if (feedsTheRest && !end.empty() && end != nodes[from].layer->name()) {
                return {};
            }
            end = feedsTheRest ? nodes[from].layer->name() : end;
        }
    }
    const bool endIsInput = !end.empty() && graph.node(end).inputIndices.empty();
    return computes && !endIsInput ? end : std::string();
}

}  // namespace loom
