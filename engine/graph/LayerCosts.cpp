// Layer costs from the layers' own build code, run on fresh layers in declare-only mode: the
// counts cannot drift from what Graph::build creates, no weight is allocated, and the graph's
// own layers (which may hold trained weights) are never rebuilt.

#include <loom/LayerCosts.h>

#include <memory>

namespace loom {

namespace {

std::vector<ParameterDeclaration> declaredParameters(const Layer& layer,
                                                     const std::vector<Shape>& inputShapes) {
    const LayerKind& kind = layer.kind();
    std::unique_ptr<Layer> fresh = kind.create();
    fresh->initialise(kind, layer.name(), layer.params().toJson());
    Rng unused(0);  // declaring draws no initial values
    std::vector<ParameterDeclaration> declarations;
    BuildContext ctx{unused, DType::F32, nullptr, &declarations};
    fresh->build(inputShapes, ctx);
    return declarations;
}

}  // namespace

LayerCost& LayerCost::operator+=(const LayerCost& other) {
    parameters += other.parameters;
    trainableParameters += other.trainableParameters;
    multiplyAdds += other.multiplyAdds;
    return *this;
}

LayerCost layerCost(const Layer& layer, const std::vector<Shape>& inputShapes,
                    const Shape& outputShape) {
    const int64_t positions = outputShape.rank() == 3 ? outputShape[1] * outputShape[2] : 1;
    LayerCost cost;
    for (const ParameterDeclaration& parameter : declaredParameters(layer, inputShapes)) {
        const int64_t count = parameter.shape.numel();
        cost.parameters += count;
        cost.trainableParameters += layer.trainable() && parameter.trainable ? count : 0;
        cost.multiplyAdds += parameter.shape.rank() >= 2 ? count * positions : 0;
    }
    return cost;
}

NetworkCosts networkCosts(const Graph& graph) {
    NetworkCosts costs;
    for (size_t index : graph.order()) {
        const Graph::Node& node = graph.nodes()[index];
        if (!node.valid) {
            continue;
        }
        std::vector<Shape> inputShapes;
        for (size_t from : node.inputIndices) {
            inputShapes.push_back(graph.nodes()[from].outputShape);
        }
        const LayerCost cost = layerCost(*node.layer, inputShapes, node.outputShape);
        costs.layers.emplace(node.layer->name(), cost);
        costs.total += cost;
    }
    return costs;
}

}  // namespace loom
