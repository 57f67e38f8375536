#include "LayerInspection.h"

#include <loom/Backend.h>
#include <loom/Explanations.h>
#include <loom/HostCopy.h>

namespace loom {

InspectedLayer inspectLayer(TrainedModel& model, const Tensor& sample, const QString& layer) {
    const std::string name = layer.toStdString();
    const Shape input = model.graph.node(model.graph.inputNames().at(0)).outputShape;
    if (sample.shape().numel() != input.numel()) {
        throw ShapeError("the sample has the shape " + sample.shape().withoutBatch().str() +
                         " and the network takes " + input.str() +
                         "; choose a sample of the data the network was trained on");
    }
    Explainer explainer(model.graph, cpuBackend(), model.picture);
    const Tensor output = explainer.outputsOf(sample.reshape(input.withBatch(1)), {name}).at(name);
    const Graph::Node& node = model.graph.node(name);
    InspectedLayer inspected;
    inspected.name = layer;
    inspected.type = QString::fromStdString(node.layer->type());
    inspected.outputShape = node.outputShape;
    inspected.output = output.reshape(node.outputShape);
    if (const Parameter* kernel = node.layer->findParameter("kernel")) {
        inspected.kernel = hostFloat32(kernel->value).clone();
    }
    inspected.picture = model.picture;
    return inspected;
}

QStringList inspectableLayers(const Graph& graph) {
    QStringList layers;
    for (size_t index : graph.order()) {
        const Graph::Node& node = graph.nodes()[index];
        if (node.layer->type() != "Input") {
            layers << QString::fromStdString(node.layer->name());
        }
    }
    return layers;
}

QString defaultEmbeddingLayer(const Graph& graph) {
    const std::vector<size_t>& order = graph.order();
    for (auto it = order.rbegin() + (order.empty() ? 0 : 1); it != order.rend(); ++it) {
        const Layer& layer = *graph.nodes()[*it].layer;
        if (layer.type() != "Dropout" && layer.type() != "Input") {
            return QString::fromStdString(layer.name());
        }
    }
    return order.empty() ? QString()
                         : QString::fromStdString(graph.nodes()[order.back()].layer->name());
}

}  // namespace loom
