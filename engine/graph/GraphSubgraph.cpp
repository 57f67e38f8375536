// Graph::subgraph: the layers an output depends on, re-shaped, sharing the weights.

#include <loom/Error.h>
#include <loom/Graph.h>

namespace loom {

namespace {

// Points `target`'s parameters at `source`'s tensors; every shape must agree.
void shareParameters(Layer& target, const Layer& source) {
    std::vector<Parameter>& into = target.parameters();
    const std::vector<Parameter>& from = source.parameters();
    for (size_t i = 0; i < into.size(); ++i) {
        if (i >= from.size() || into[i].value.shape() != from[i].value.shape()) {
            throw ShapeError(source.describe() + ": at this input size its weight '" +
                             into[i].name + "' would need shape " + into[i].value.shape().str() +
                             "; choose layers before it, whose weights do not depend on the size");
        }
        into[i].value = from[i].value;
        into[i].grad = Tensor();
    }
}

// The element type the weights are in (float64 for gradient checks), F32 without weights.
DType parameterDType(const std::vector<Graph::Node>& nodes) {
    for (const Graph::Node& n : nodes) {
        if (!n.layer->parameters().empty()) {
            return n.layer->parameters().front().value.dtype();
        }
    }
    return DType::F32;
}

}  // namespace

Graph Graph::subgraph(const std::vector<std::string>& outputs,
                      const std::map<std::string, Shape>& inputShapes) const {
    if (!m_built) {
        throw GraphError("the graph must be built before a part of it is taken");
    }
    std::vector<bool> needed(m_nodes.size(), false);
    std::vector<size_t> pending;
    for (const std::string& name : outputs) {
        auto index = findNode(name);
        if (!index) {
            throw GraphError("no layer named '" + name + "' in the graph '" + m_name + "'");
        }
        pending.push_back(*index);
    }
    while (!pending.empty()) {
        size_t index = pending.back();
        pending.pop_back();
        if (!needed[index]) {
            needed[index] = true;
            pending.insert(pending.end(), m_nodes[index].inputIndices.begin(),
                           m_nodes[index].inputIndices.end());
        }
    }
    Graph part;
    part.m_name = m_name;
    for (size_t index : m_order) {
        const Node& n = m_nodes[index];
        if (!needed[index]) {
            continue;
        }
        nlohmann::json params = n.layer->params().toJson();
        if (auto shape = inputShapes.find(n.layer->name()); shape != inputShapes.end()) {
            params["shape"] = shape->second.dims();
        }
        part.add(n.layer->type(), n.layer->name(), params, n.inputs);
        part.layer(n.layer->name()).setTrainable(n.layer->trainable());
        part.layer(n.layer->name()).setLearningRateFactor(n.layer->learningRateFactor());
    }
    part.setOutputs(outputs);
    part.build(0, parameterDType(m_nodes));
    for (size_t index : m_order) {
        if (needed[index]) {
            const Layer& source = *m_nodes[index].layer;
            shareParameters(part.layer(source.name()), source);
        }
    }
    return part;
}

}  // namespace loom
