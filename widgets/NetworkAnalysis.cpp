#include "NetworkAnalysis.h"

#include <loom/Error.h>

#include <exception>

namespace loom {

namespace {

/// The graph JSON without canvas positions: what the parameter counts depend on.
nlohmann::json structureOf(const Graph& graph) {
    nlohmann::json json = graph.toJson();
    for (nlohmann::json& layer : json["layers"]) {
        layer.erase("position");
    }
    json.erase("outputs");
    return json;
}

/// The layers of structure whose analysis says they are valid; their inputs are valid too, so
/// they form a graph of their own.
nlohmann::json validPart(const nlohmann::json& structure, const NetworkAnalysis& analysis) {
    nlohmann::json part = structure;
    nlohmann::json layers = nlohmann::json::array();
    for (const nlohmann::json& layer : structure["layers"]) {
        const LayerAnalysis* found = analysis.find(layer["name"].get<std::string>());
        if (found != nullptr && found->valid) {
            layers.push_back(layer);
        }
    }
    part["layers"] = std::move(layers);
    return part;
}

bool hasInputLayer(const Graph& graph) {
    for (const Graph::Node& node : graph.nodes()) {
        if (node.layer->kind().minInputs == 0) {
            return true;
        }
    }
    return false;
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

int64_t multiplyAddsOf(const Layer& layer, const Shape& outputShape) {
    const int64_t positions = outputShape.rank() == 3 ? outputShape[1] * outputShape[2] : 1;
    int64_t total = 0;
    for (const Parameter& p : layer.parameters()) {
        if (p.value.shape().rank() >= 2) {
            total += p.value.numel() * positions;
        }
    }
    return total;
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
    countCosts(graph, analysis);
    return analysis;
}

void NetworkAnalyser::countCosts(const Graph& graph, NetworkAnalysis& analysis) {
    nlohmann::json structure = validPart(structureOf(graph), analysis);
    if (structure != m_countedStructure) {
        m_countedStructure = std::move(structure);
        m_counted.clear();
        try {
            Graph scratch = Graph::fromJson(m_countedStructure);
            scratch.build();
            for (const Graph::Node& node : scratch.nodes()) {
                LayerAnalysis& counted = m_counted[node.layer->name()];
                counted.parameters = node.layer->parameterCount();
                counted.trainableParameters = node.layer->trainableParameterCount();
                counted.multiplyAdds = multiplyAddsOf(*node.layer, node.outputShape);
            }
        } catch (const std::exception&) {
            // No Input among the valid layers, or too little memory for the weights: the
            // counts stay unknown and the layers' own diagnostics say what is wrong.
            m_counted.clear();
        }
    }
    for (auto& [name, layer] : analysis.layers) {
        auto counted = m_counted.find(name);
        if (counted == m_counted.end()) {
            continue;
        }
        layer.parameters = counted->second.parameters;
        layer.trainableParameters = counted->second.trainableParameters;
        layer.multiplyAdds = counted->second.multiplyAdds;
        analysis.totalParameters += *layer.parameters;
        analysis.trainableParameters += *layer.trainableParameters;
        analysis.totalMultiplyAdds += *layer.multiplyAdds;
    }
}

}  // namespace loom
