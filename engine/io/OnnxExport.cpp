// Loom graph -> ONNX model (opset 13). Each layer becomes one node (two when an activation is
// fused into it, or for GlobalAveragePool2D, whose ONNX op keeps the 1x1 spatial axes).

#include <loom/Error.h>
#include <loom/OnnxExport.h>
#include <loom/WeightsFile.h>

#include "layers/LayerSupport.h"

#include <functional>
#include <map>
#include <set>

namespace loom {

namespace {

constexpr int64_t kOpsetVersion = 13;
// IR version 8 (ONNX 1.10) is the newest that ONNX 1.12, Debian 12's, accepts.
constexpr int64_t kIrVersion = 8;

OnnxAttribute intAttribute(const std::string& name, int64_t value) {
    OnnxAttribute a;
    a.name = name;
    a.type = OnnxAttribute::Int;
    a.i = value;
    return a;
}

OnnxAttribute floatAttribute(const std::string& name, double value) {
    OnnxAttribute a;
    a.name = name;
    a.type = OnnxAttribute::Float;
    a.f = static_cast<float>(value);
    return a;
}

OnnxAttribute intsAttribute(const std::string& name, std::vector<int64_t> values) {
    OnnxAttribute a;
    a.name = name;
    a.type = OnnxAttribute::Ints;
    a.ints = std::move(values);
    return a;
}

OnnxValueInfo batchedValueInfo(const std::string& name, const Shape& sample) {
    OnnxValueInfo info;
    info.name = name;
    info.elemType = static_cast<int32_t>(OnnxDataType::Float);
    info.hasShape = true;
    info.dims = sample.withBatch(-1).dims();  // -1: written as the symbolic "N"
    return info;
}

/// Keras "same" padding or none, as ONNX's [top, left, bottom, right] for an input [C, H, W].
std::vector<int64_t> explicitPads(const Layer& layer, const Shape& in, std::pair<int, int> kernel,
                                  std::pair<int, int> strides, std::pair<int, int> dilations) {
    if (layer.params().getString("padding") != "same") {
        return {0, 0, 0, 0};
    }
    auto [top, bottom] = layers::samePadding(in[1], kernel.first, strides.first, dilations.first);
    auto [left, right] =
        layers::samePadding(in[2], kernel.second, strides.second, dilations.second);
    return {top, left, bottom, right};
}

std::vector<int64_t> pairList(std::pair<int, int> p) {
    return {p.first, p.second};
}

class Exporter {
public:
    explicit Exporter(const Graph& graph) : m_graph(graph) {}

    OnnxModel run() {
        if (!m_graph.isBuilt()) {
            throw IoError("ONNX export: build the graph first (its shapes and weights are needed)");
        }
        m_model.irVersion = kIrVersion;
        m_model.producerName = "Loom";
        m_model.opsetImports.push_back({"", kOpsetVersion});
        m_model.graph.name = m_graph.name();
        for (size_t index : m_graph.order()) {
            exportNode(m_graph.nodes()[index]);
        }
        for (const std::string& name : m_graph.outputNames()) {
            const Graph::Node& node = m_graph.node(name);
            if (node.layer->type() == "Input") {
                throw IoError("ONNX export: the output '" + name +
                              "' is an Input layer, which no ONNX node computes");
            }
            m_model.graph.outputs.push_back(batchedValueInfo(name, node.outputShape));
        }
        return std::move(m_model);
    }

private:
    using CoreExport = void (Exporter::*)(const Graph::Node&, const std::string&);

    void exportNode(const Graph::Node& node) {
        const Layer& layer = *node.layer;
        if (layer.type() == "Input") {
            m_model.graph.inputs.push_back(batchedValueInfo(layer.name(), node.outputShape));
            return;
        }
        // The activation layers compute nothing themselves: their activation is the node.
        static const std::set<std::string> activationOnly = {"Activation", "LeakyReLU", "ELU",
                                                             "ReLU"};
        if (activationOnly.count(layer.type()) != 0) {
            exportActivation(layer, layer.name(), node.inputs.at(0), layer.name());
            return;
        }
        static const std::map<std::string, CoreExport> cores = {
            {"Dense", &Exporter::exportDense},
            {"Conv2D", &Exporter::exportConv},
            {"DepthwiseConv2D", &Exporter::exportConv},
            {"MaxPool2D", &Exporter::exportPool},
            {"AveragePool2D", &Exporter::exportPool},
            {"GlobalAveragePool2D", &Exporter::exportGlobalAveragePool},
            {"Flatten", &Exporter::exportFlatten},
            {"Reshape", &Exporter::exportReshape},
            {"Dropout", &Exporter::exportDropout},
            {"BatchNormalization", &Exporter::exportBatchNorm},
            {"Concatenate", &Exporter::exportConcat},
            {"Add", &Exporter::exportAdd},
            {"ZeroPadding2D", &Exporter::exportZeroPadding},
        };
        auto core = cores.find(layer.type());
        if (core == cores.end()) {
            throw IoError("ONNX export: " + layer.describe() +
                          " has no ONNX equivalent in Loom's exporter");
        }
        const bool activated = layer.activation() != ActivationKind::Linear;
        const std::string output = activated ? layer.name() + "/pre" : layer.name();
        (this->*core->second)(node, output);
        if (activated) {
            exportActivation(layer, layer.name() + "/activation", output, layer.name());
        }
    }

    OnnxNode& addNode(const std::string& opType, const std::string& name,
                      std::vector<std::string> inputs, const std::string& output) {
        OnnxNode& node = m_model.graph.nodes.emplace_back();
        node.opType = opType;
        node.name = name;
        node.inputs = std::move(inputs);
        node.outputs = {output};
        return node;
    }

    /// Adds a float initializer holding value; returns its name.
    std::string addWeight(const std::string& name, const Tensor& value) {
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

    std::string addWeight(const Layer& layer, const std::string& parameter) {
        for (const Parameter& p : layer.parameters()) {
            if (p.name == parameter) {
                return addWeight(layer.name() + "/" + parameter, p.value);
            }
        }
        throw IoError("ONNX export: " + layer.describe() + " has no weight '" + parameter + "'");
    }

    /// An INT64 initializer: shapes and pads.
    std::string addInt64s(const std::string& name, const std::vector<int64_t>& values) {
        OnnxTensor& t = m_model.graph.initializers.emplace_back();
        t.name = name;
        t.dataType = static_cast<int32_t>(OnnxDataType::Int64);
        t.dims = {static_cast<int64_t>(values.size())};
        t.setValue(
            Tensor::fromVector(Shape(t.dims), std::vector<float>(values.begin(), values.end())));
        return name;
    }

    std::string addScalar(const std::string& name, double value) {
        OnnxTensor& t = m_model.graph.initializers.emplace_back();
        t.name = name;
        t.dataType = static_cast<int32_t>(OnnxDataType::Float);
        t.setValue(Tensor::full(Shape(std::vector<int64_t>{}), value));
        return name;
    }

    void exportActivation(const Layer& layer, const std::string& name, const std::string& input,
                          const std::string& output) {
        const double alpha = layer.activationAlpha();
        switch (layer.activation()) {
            case ActivationKind::Linear:
                addNode("Identity", name, {input}, output);
                return;
            case ActivationKind::Relu:
                addNode("Relu", name, {input}, output);
                return;
            case ActivationKind::Sigmoid:
                addNode("Sigmoid", name, {input}, output);
                return;
            case ActivationKind::Tanh:
                addNode("Tanh", name, {input}, output);
                return;
            case ActivationKind::Softmax:
                // Opset 13's Softmax normalises along the one axis it is given, as Loom does.
                addNode("Softmax", name, {input}, output).attributes = {intAttribute("axis", 1)};
                return;
            case ActivationKind::LeakyRelu:
                addNode("LeakyRelu", name, {input}, output).attributes = {
                    floatAttribute("alpha", alpha)};
                return;
            case ActivationKind::Elu:
                addNode("Elu", name, {input}, output).attributes = {floatAttribute("alpha", alpha)};
                return;
            case ActivationKind::ClippedRelu:
                addNode("Clip", name,
                        {input, addScalar(name + "/min", 0.0), addScalar(name + "/max", alpha)},
                        output);
                return;
        }
        throw IoError("ONNX export: " + layer.describe() + " has an activation ONNX lacks");
    }

    void exportDense(const Graph::Node& node, const std::string& output) {
        const Layer& layer = *node.layer;
        std::vector<std::string> inputs = {node.inputs.at(0), addWeight(layer, "kernel")};
        if (layer.params().getBool("use_bias")) {
            inputs.push_back(addWeight(layer, "bias"));
        }
        // Loom's kernel is [in, units], so B needs no transpose.
        addNode("Gemm", layer.name(), inputs, output);
    }

    /// Conv2D, and DepthwiseConv2D as a Conv with one group per input channel: its
    /// [channels * m, 1, kh, kw] kernel is already ONNX's grouped layout.
    void exportConv(const Graph::Node& node, const std::string& output) {
        const Layer& layer = *node.layer;
        const bool depthwise = layer.type() == "DepthwiseConv2D";
        const Shape& in = node.builtInputShapes.at(0);
        const auto kernel = layers::pairParam(layer, "kernel_size");
        const auto strides = layers::pairParam(layer, "strides");
        const auto dilations = layers::pairParam(layer, "dilation_rate");
        std::vector<std::string> inputs = {
            node.inputs.at(0), addWeight(layer, depthwise ? "depthwise_kernel" : "kernel")};
        if (layer.params().getBool("use_bias")) {
            inputs.push_back(addWeight(layer, "bias"));
        }
        addNode("Conv", layer.name(), inputs, output).attributes = {
            intsAttribute("kernel_shape", pairList(kernel)),
            intsAttribute("strides", pairList(strides)),
            intsAttribute("dilations", pairList(dilations)),
            intsAttribute("pads", explicitPads(layer, in, kernel, strides, dilations)),
            intAttribute("group", depthwise ? in[0] : 1),
        };
    }

    void exportPool(const Graph::Node& node, const std::string& output) {
        const Layer& layer = *node.layer;
        const auto kernel = layers::pairParam(layer, "pool_size");
        const auto strides = layer.params().getInts("strides").empty()
                                 ? kernel
                                 : layers::pairParam(layer, "strides");
        const bool max = layer.type() == "MaxPool2D";
        OnnxNode& pool =
            addNode(max ? "MaxPool" : "AveragePool", layer.name(), {node.inputs.at(0)}, output);
        pool.attributes = {
            intsAttribute("kernel_shape", pairList(kernel)),
            intsAttribute("strides", pairList(strides)),
            intsAttribute(
                "pads", explicitPads(layer, node.builtInputShapes.at(0), kernel, strides, {1, 1})),
        };
        if (!max) {
            // Loom's average, like Keras', leaves the padded cells out of each window's count.
            pool.attributes.push_back(intAttribute("count_include_pad", 0));
        }
    }

    void exportGlobalAveragePool(const Graph::Node& node, const std::string& output) {
        // ONNX keeps the pooled axes as 1x1; Loom's layer drops them.
        const std::string& name = node.layer->name();
        addNode("GlobalAveragePool", name, {node.inputs.at(0)}, name + "/pooled");
        addNode("Flatten", name + "/flatten", {name + "/pooled"}, output).attributes = {
            intAttribute("axis", 1)};
    }

    void exportFlatten(const Graph::Node& node, const std::string& output) {
        addNode("Flatten", node.layer->name(), {node.inputs.at(0)}, output).attributes = {
            intAttribute("axis", 1)};
    }

    void exportReshape(const Graph::Node& node, const std::string& output) {
        const std::string& name = node.layer->name();
        // 0 copies the batch size; the layer's own -1, if it has one, stays the one -1.
        const Shape target(node.layer->params().getInts("target_shape"));
        addNode("Reshape", name,
                {node.inputs.at(0), addInt64s(name + "/shape", target.withBatch(0).dims())},
                output);
    }

    void exportDropout(const Graph::Node& node, const std::string& output) {
        const std::string& name = node.layer->name();
        addNode(
            "Dropout", name,
            {node.inputs.at(0), addScalar(name + "/ratio", node.layer->params().getFloat("rate"))},
            output);
    }

    void exportBatchNorm(const Graph::Node& node, const std::string& output) {
        const Layer& layer = *node.layer;
        const Shape channels{node.outputShape[0]};
        // ONNX always scales and shifts: a layer without gamma or beta exports ones or zeros.
        const std::string scale =
            layer.params().getBool("scale")
                ? addWeight(layer, "gamma")
                : addWeight(layer.name() + "/gamma", Tensor::full(channels, 1.0));
        const std::string shift = layer.params().getBool("center")
                                      ? addWeight(layer, "beta")
                                      : addWeight(layer.name() + "/beta", Tensor::zeros(channels));
        addNode("BatchNormalization", layer.name(),
                {node.inputs.at(0), scale, shift, addWeight(layer, "moving_mean"),
                 addWeight(layer, "moving_variance")},
                output)
            .attributes = {floatAttribute("epsilon", layer.params().getFloat("epsilon")),
                           floatAttribute("momentum", layer.params().getFloat("momentum"))};
    }

    void exportConcat(const Graph::Node& node, const std::string& output) {
        // Both count the batch as axis 0.
        addNode("Concat", node.layer->name(), node.inputs, output).attributes = {
            intAttribute("axis", node.layer->params().getInt("axis"))};
    }

    void exportAdd(const Graph::Node& node, const std::string& output) {
        addNode(node.inputs.size() == 2 ? "Add" : "Sum", node.layer->name(), node.inputs, output);
    }

    void exportZeroPadding(const Graph::Node& node, const std::string& output) {
        const Shape& in = node.builtInputShapes.at(0);
        const Shape& out = node.outputShape;
        // One value pads every side, two are (rows, columns), four are top, bottom, left,
        // right, as ZeroPadding2D reads them.
        std::vector<int64_t> p = node.layer->params().getInts("padding");
        if (p.size() == 1) {
            p = {p[0], p[0], p[0], p[0]};
        } else if (p.size() == 2) {
            p = {p[0], p[0], p[1], p[1]};
        }
        if (p.size() != 4 || in[1] + p[0] + p[1] != out[1] || in[2] + p[2] + p[3] != out[2]) {
            throw IoError("ONNX export: " + node.layer->describe() +
                          " has padding the exporter cannot read");
        }
        const std::string& name = node.layer->name();
        // ONNX orders pads as every axis' start, then every axis' end: [N, C, H, W] twice.
        addNode(
            "Pad", name,
            {node.inputs.at(0), addInt64s(name + "/pads", {0, 0, p[0], p[2], 0, 0, p[1], p[3]})},
            output);
    }

    const Graph& m_graph;
    OnnxModel m_model;
};

}  // namespace

OnnxModel onnxModelFromGraph(const Graph& graph) {
    return Exporter(graph).run();
}

void exportOnnx(const Graph& graph, const std::string& path) {
    writeFileAtomically(path, serializeOnnxModel(onnxModelFromGraph(graph)));
}

}  // namespace loom
