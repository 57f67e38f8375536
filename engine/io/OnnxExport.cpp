// Loom graph -> ONNX model (opset 13). Each layer's kind writes its own nodes (LayerKind::onnx,
// through OnnxLayerWriter); the exporter adds the graph's inputs and outputs and the activation
// the graph applies after a layer.

#include <loom/Error.h>
#include <loom/OnnxExport.h>
#include <loom/WeightsFile.h>

#include "io/OnnxLayerWriter.h"

namespace loom {

namespace {

constexpr int64_t kOpsetVersion = 13;
// IR version 8 (ONNX 1.10) is the newest that ONNX 1.12, Debian 12's, accepts.
constexpr int64_t kIrVersion = 8;

OnnxValueInfo batchedValueInfo(const std::string& name, const Shape& sample) {
    OnnxValueInfo info;
    info.name = name;
    info.elemType = static_cast<int32_t>(OnnxDataType::Float);
    info.hasShape = true;
    info.dims = sample.withBatch(-1).dims();  // -1: written as the symbolic "N"
    return info;
}

void exportNode(OnnxModel& model, const Graph::Node& node) {
    const Layer& layer = *node.layer;
    if (layer.type() == "Input") {
        model.graph.inputs.push_back(batchedValueInfo(layer.name(), node.outputShape));
        return;
    }
    const auto& write = layer.kind().onnx.write;
    if (!write) {
        throw IoError("ONNX export: " + layer.describe() +
                      " has no ONNX equivalent in Loom's exporter");
    }
    OnnxLayerWriter writer(model, node);
    write(writer);
    if (layer.activation() != ActivationKind::Linear && !writer.activationWritten()) {
        writer.addActivation(writer.output());
    }
}

}  // namespace

OnnxLayerWriter::OnnxLayerWriter(OnnxModel& model, const Graph::Node& node)
    : m_model(model),
      m_node(node),
      m_output(node.layer->activation() == ActivationKind::Linear ? node.layer->name()
                                                                  : node.layer->name() + "/pre") {}

OnnxNode& OnnxLayerWriter::addNode(const std::string& opType, std::vector<std::string> inputs,
                                   const std::string& output, const std::string& suffix) {
    OnnxNode& node = m_model.graph.nodes.emplace_back();
    node.opType = opType;
    node.name = layer().name() + suffix;
    node.inputs = std::move(inputs);
    node.outputs = {output};
    return node;
}

std::string OnnxLayerWriter::addConstant(const std::string& suffix, const Tensor& value) {
    const std::string name = layer().name() + "/" + suffix;
    if (value.device() != Device::cpu()) {
        throw IoError("ONNX export: weight '" + name + "' lives on " + value.device().str() +
                      "; move the graph to the CPU before exporting");
    }
    OnnxTensor& t = m_model.graph.initializers.emplace_back();
    t.name = name;
    t.dataType = static_cast<int32_t>(OnnxDataType::Float);
    t.dims = value.shape().dims();
    t.setValue(value.to(DType::F32));
    return name;
}

std::string OnnxLayerWriter::addWeight(const std::string& parameter) {
    for (const Parameter& p : layer().parameters()) {
        if (p.name == parameter) {
            return addConstant(parameter, p.value);
        }
    }
    fail("it has no weight '" + parameter + "'");
}

std::string OnnxLayerWriter::addScalar(const std::string& suffix, double value) {
    return addConstant(suffix, Tensor::full(Shape(std::vector<int64_t>{}), value));
}

std::string OnnxLayerWriter::addInt64s(const std::string& suffix,
                                       const std::vector<int64_t>& values) {
    OnnxTensor& t = m_model.graph.initializers.emplace_back();
    t.name = layer().name() + "/" + suffix;
    t.dataType = static_cast<int32_t>(OnnxDataType::Int64);
    t.dims = {static_cast<int64_t>(values.size())};
    t.setValue(Tensor::fromVector(Shape(t.dims), std::vector<float>(values.begin(), values.end())));
    return t.name;
}

void OnnxLayerWriter::addActivation(const std::string& from) {
    m_activationWritten = true;
    const std::string& to = layer().name();
    // Fused after the layer's own nodes, the activation node is "<layer>/activation".
    const std::string suffix = from == m_output && from != to ? "/activation" : "";
    const std::string prefix = suffix.empty() ? "" : "activation/";
    const double alpha = layer().activationAlpha();
    switch (layer().activation()) {
        case ActivationKind::Linear:
            addNode("Identity", {from}, to, suffix);
            return;
        case ActivationKind::Relu:
            addNode("Relu", {from}, to, suffix);
            return;
        case ActivationKind::Sigmoid:
            addNode("Sigmoid", {from}, to, suffix);
            return;
        case ActivationKind::Tanh:
            addNode("Tanh", {from}, to, suffix);
            return;
        case ActivationKind::Softmax:
            // Opset 13's Softmax normalises along the one axis it is given, as Loom does.
            addNode("Softmax", {from}, to, suffix).attributes = {intAttribute("axis", 1)};
            return;
        case ActivationKind::LeakyRelu:
            addNode("LeakyRelu", {from}, to, suffix).attributes = {floatAttribute("alpha", alpha)};
            return;
        case ActivationKind::Elu:
            addNode("Elu", {from}, to, suffix).attributes = {floatAttribute("alpha", alpha)};
            return;
        case ActivationKind::ClippedRelu:
            addNode("Clip",
                    {from, addScalar(prefix + "min", 0.0), addScalar(prefix + "max", alpha)}, to,
                    suffix);
            return;
    }
    fail("it has an activation ONNX lacks");
}

void OnnxLayerWriter::fail(const std::string& message) const {
    throw IoError("ONNX export: " + layer().describe() + ": " + message);
}

OnnxAttribute OnnxLayerWriter::intAttribute(const std::string& name, int64_t value) {
    OnnxAttribute a;
    a.name = name;
    a.type = OnnxAttribute::Int;
    a.i = value;
    return a;
}

OnnxAttribute OnnxLayerWriter::floatAttribute(const std::string& name, double value) {
    OnnxAttribute a;
    a.name = name;
    a.type = OnnxAttribute::Float;
    a.f = static_cast<float>(value);
    return a;
}

OnnxAttribute OnnxLayerWriter::intsAttribute(const std::string& name, std::vector<int64_t> values) {
    OnnxAttribute a;
    a.name = name;
    a.type = OnnxAttribute::Ints;
    a.ints = std::move(values);
    return a;
}

OnnxModel onnxModelFromGraph(const Graph& graph) {
    if (!graph.isBuilt()) {
        throw IoError("ONNX export: build the graph first (its shapes and weights are needed)");
    }
    OnnxModel model;
    model.irVersion = kIrVersion;
    model.producerName = "Loom";
    model.opsetImports.push_back({"", kOpsetVersion});
    model.graph.name = graph.name();
    for (size_t index : graph.order()) {
        exportNode(model, graph.nodes()[index]);
    }
    for (const std::string& name : graph.outputNames()) {
        const Graph::Node& node = graph.node(name);
        if (node.layer->type() == "Input") {
            throw IoError("ONNX export: the output '" + name +
                          "' is an Input layer, which no ONNX node computes");
        }
        model.graph.outputs.push_back(batchedValueInfo(name, node.outputShape));
    }
    return model;
}

void exportOnnx(const Graph& graph, const std::string& path) {
    writeFileAtomically(path, serializeOnnxModel(onnxModelFromGraph(graph)));
}

}  // namespace loom
