// Graph::copy and Graph::takeWeightsFrom: a training run works on its own copy of the network
// and hands the trained weights back when it ends.

#include <loom/Graph.h>

#include <algorithm>

namespace loom {

namespace {

std::unique_ptr<Layer> copyLayer(const Layer& source) {
    std::unique_ptr<Layer> layer = source.kind().create();
    layer->initialise(source.kind(), source.name(), source.params().toJson());
    layer->setTrainable(source.trainable());
    layer->setLearningRateFactor(source.learningRateFactor());
    for (const Parameter& p : source.parameters()) {
        layer->parameters().push_back({p.name, p.value.clone(), Tensor(), p.trainable});
    }
    return layer;
}

// The layer's weights were made for what it is now: same kind, parameters and input shapes.
bool madeFor(const Graph::Node& trained, const Graph::Node& now,
             const std::vector<Shape>& inputShapes) {
    return trained.layer->type() == now.layer->type() && !trained.builtParams.is_null() &&
           trained.builtParams == now.layer->params().toJson() &&
           trained.builtInputShapes == inputShapes;
}

}  // namespace

Graph Graph::copy() const {
    Graph copied;
    copied.m_name = m_name;
    for (const Node& n : m_nodes) {
        Node node;
        node.layer = copyLayer(*n.layer);
        node.inputs = n.inputs;
        node.x = n.x;
        node.y = n.y;
        node.group = n.group;
        node.inputIndices = n.inputIndices;
        node.outputShape = n.outputShape;
        node.valid = n.valid;
        node.builtInputShapes = n.builtInputShapes;
        node.builtParams = n.builtParams;
        copied.m_nodes.push_back(std::move(node));
    }
    copied.m_order = m_order;
    copied.m_inputNames = m_inputNames;
    copied.m_outputNames = m_outputNames;
    copied.m_explicitOutputs = m_explicitOutputs;
    copied.m_built = m_built;
    return copied;
}

size_t Graph::takeWeightsFrom(Graph& trained) {
    // Shapes are known for every valid layer even while another is half-wired.
    const bool wellFormed = validate().empty();
    size_t taken = 0;
    for (Node& n : m_nodes) {
        if (!n.valid) {
            continue;
        }
        const std::optional<size_t> match = trained.findNode(n.layer->name());
        std::vector<Shape> inputShapes;
        for (size_t from : n.inputIndices) {
            inputShapes.push_back(m_nodes[from].outputShape);
        }
        if (!match || !madeFor(trained.m_nodes[*match], n, inputShapes)) {
            continue;
        }
        Node& source = trained.m_nodes[*match];
        n.layer->parameters() = std::move(source.layer->parameters());
        for (Parameter& p : n.layer->parameters()) {
            p.grad = Tensor();
        }
        n.builtInputShapes = std::move(inputShapes);
        n.builtParams = std::move(source.builtParams);
        source.builtParams = nullptr;
        ++taken;
    }
    const bool outputsExist =
        std::all_of(m_explicitOutputs.begin(), m_explicitOutputs.end(),
                    [this](const std::string& name) { return contains(name); });
    // An empty graph (every layer deleted during the run) is never built: build refuses it.
    if (wellFormed && outputsExist && !m_nodes.empty() && taken == m_nodes.size()) {
        resolveInputsAndOutputs();
        m_built = true;
    }
    return taken;
}

}  // namespace loom
