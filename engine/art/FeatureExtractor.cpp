#include <loom/Error.h>
#include <loom/FeatureExtractor.h>

#include <set>

namespace loom {

FeatureExtractor::FeatureExtractor(Graph& model, std::vector<std::string> layers, Backend& backend)
    : m_model(model), m_layers(std::move(layers)), m_backend(backend) {
    if (m_layers.empty()) {
        throw ConfigError("choose at least one layer of the network");
    }
    if (std::set<std::string>(m_layers.begin(), m_layers.end()).size() != m_layers.size()) {
        throw ConfigError("each layer may be chosen once");
    }
    for (const std::string& layer : m_layers) {
        if (!m_model.contains(layer)) {
            throw GraphError("the network '" + m_model.name() + "' has no layer named '" + layer +
                             "' (see loom-cli summary MODEL for its layers)");
        }
    }
    if (m_model.inputNames().size() != 1) {
        throw GraphError("deep dream and style transfer need a network with one input");
    }
    m_model.moveTo(m_backend);
    const auto parameters = m_model.parameters();
    if (!parameters.empty()) {
        m_dtype = parameters.front().second->value.dtype();
    }
}

void FeatureExtractor::prepare(const Shape& inputShape) {
    if (inputShape == m_partInput) {
        return;
    }
    const Shape modelInput = m_model.node(m_model.inputNames()[0]).outputShape;
    if (inputShape.rank() != 4 || inputShape[0] != 1 || modelInput.rank() != 3 ||
        inputShape[1] != modelInput[0]) {
        throw ShapeError("the network takes pictures of shape " + modelInput.str("1") + ", got " +
                         inputShape.str());
    }
    try {
        m_part = m_model.subgraph(m_layers, {{m_model.inputNames()[0], inputShape.withoutBatch()}});
    } catch (const ShapeError& e) {
        throw ShapeError("a picture of " + std::to_string(inputShape[2]) + "x" +
                         std::to_string(inputShape[3]) +
                         " pixels does not fit the chosen layers (a smaller one shrinks to "
                         "nothing before them; use a larger picture or fewer octaves): " +
                         e.what());
    }
    for (const Graph::Node& node : m_part.nodes()) {
        m_part.layer(node.layer->name()).setTrainable(false);
    }
    m_partInput = inputShape;
}

const std::vector<Tensor>& FeatureExtractor::forward(const Tensor& input) {
    prepare(input.shape());
    ExecutionContext ctx{m_backend, false, 0, 0, m_dtype};
    if (input.device() == m_backend.device()) {
        m_activations = m_part.forward(ctx, {input});
        return m_activations;
    }
    ctx.ensure(m_deviceInput, input.shape());
    m_backend.copy(input, m_deviceInput);
    m_activations = m_part.forward(ctx, {m_deviceInput});
    return m_activations;
}

const Tensor& FeatureExtractor::backward(const std::vector<Tensor>& activationGradients) {
    if (activationGradients.size() != m_layers.size()) {
        throw GraphError("backward needs one gradient per chosen layer");
    }
    std::vector<Graph::OutputGradient> seeds;
    for (const Tensor& g : activationGradients) {
        seeds.push_back({g, false});
    }
    ExecutionContext ctx{m_backend, false, 0, 0, m_dtype};
    m_part.backward(ctx, seeds, true);
    return m_part.inputGradient(0);
}

}  // namespace loom
