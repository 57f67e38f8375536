// ONNX model -> Loom graph: the driver (inputs, node order, outputs, weights) and the services
// the op converters in the layer kinds' files use.

#include <loom/OnnxImport.h>

#include "io/OnnxImporter.h"

#include <cctype>
#include <cmath>
#include <stdexcept>

namespace loom {

namespace {

bool isDefaultDomain(const std::string& domain) {
    return domain.empty() || domain == "ai.onnx";
}

/// ONNX names may hold '/' (PyTorch's "/conv1/Conv") and anything else; Loom's layer names
/// may not hold '/' or control characters.
std::string layerNameFrom(const std::string& text) {
    std::string name;
    for (char c : text) {
        const bool bad = c == '/' || std::iscntrl(static_cast<unsigned char>(c));
        name += bad ? '_' : c;
    }
    const size_t start = name.find_first_not_of('_');
    name = start == std::string::npos ? "" : name.substr(start);
    return name.substr(0, 150);
}

}  // namespace

std::string onnxListText(const std::vector<int64_t>& values) {
    std::string s = "[";
    for (size_t i = 0; i < values.size(); ++i) {
        s += (i > 0 ? ", " : "") + std::to_string(values[i]);
    }
    return s + "]";
}

OnnxImporter::OnnxImporter(const OnnxModel& model, std::string source)
    : m_model(model), m_source(std::move(source)), m_opset(model.opsetVersion()) {
    m_graph.setName(model.graph.name.empty() ? "model" : layerNameFrom(model.graph.name));
    for (const OnnxNode& node : model.graph.nodes) {
        for (const std::string& input : node.inputs) {
            m_consumers[input].push_back(&node);
        }
    }
    for (const OnnxValueInfo& output : model.graph.outputs) {
        m_graphOutputs.insert(output.name);
    }
}

Graph OnnxImporter::run() {
    if (m_opset <= 0) {
        throw IoError("'" + m_source + "': the model imports no version of the default ONNX " +
                      "operator set");
    }
    for (const OnnxTensor& t : m_model.graph.initializers) {
        m_constants[t.name].file = &t;
    }
    addInputs();
    for (const OnnxNode& node : m_model.graph.nodes) {
        if (m_absorbed.count(&node) == 0) {
            convert(node);
        }
    }
    setOutputs();
    // Every weight the graph creates is one the file holds: the budget makes build refuse
    // anything more before allocating it.
    int64_t budget = 0;
    for (const auto& [layerName, weights] : m_weights) {
        for (const auto& [parameter, value] : weights) {
            budget += value.numel();
        }
    }
    try {
        m_graph.build(0, DType::F32, budget);
    } catch (const Error& e) {
        throw IoError("'" + m_source + "': " + e.what());
    }
    assignWeights();
    return std::move(m_graph);
}

void OnnxImporter::addInputs() {
    for (const OnnxValueInfo& input : m_model.graph.inputs) {
        if (m_constants.count(input.name) != 0) {
            continue;  // before IR version 4, initializers are listed as inputs too
        }
        const std::string where = "'" + m_source + "': input '" + input.name + "'";
        if (input.elemType != static_cast<int32_t>(OnnxDataType::Float)) {
            throw IoError(where + " is " + onnxDataTypeName(input.elemType) +
                          "; Loom's networks take FLOAT inputs");
        }
        if (!input.hasShape || input.dims.size() < 2) {
            throw IoError(where + " has shape " + onnxListText(input.dims) +
                          "; Loom needs a batch axis followed by the shape of one sample");
        }
        std::vector<int64_t> sample(input.dims.begin() + 1, input.dims.end());
        int64_t elements = 1;
        for (int64_t d : sample) {
            if (d <= 0 || d > kOnnxMaxSampleElements / elements) {
                throw IoError(where + " has shape " + onnxListText(input.dims) +
                              "; Loom needs every size but the batch known, positive and a "
                              "sample of at most 2^31 elements");
            }
            elements *= d;
        }
        const std::string base = layerNameFrom(input.name);
        std::string name;
        try {
            name = m_graph.add("Input", uniqueName(base.empty() ? "input" : base),
                               {{"shape", sample}});
        } catch (const Error& e) {
            throw IoError(where + ": " + e.what());
        }
        m_shapes[name] = Shape(sample);
        bindLayer(input.name, name);
    }
}

void OnnxImporter::convert(const OnnxNode& node) {
    if (!isDefaultDomain(node.domain)) {
        fail(node, "ops of domain '" + node.domain + "' are not ONNX's standard ones");
    }
    OnnxOpConverter converter = findOnnxOpConverter(node.opType);
    if (converter == nullptr) {
        fail(node, "Loom has no layer for the op " + node.opType);
    }
    try {
        converter(*this, node);
    } catch (const OnnxNodeError&) {
        throw;
    } catch (const Error& e) {  // bad parameter values, shapes the layer rejects
        fail(node, e.what());
    } catch (const nlohmann::json::exception& e) {
        fail(node, e.what());
    } catch (const std::out_of_range& e) {
        fail(node, e.what());
    }
}

void OnnxImporter::setOutputs() {
    std::vector<std::string> outputs;
    for (const OnnxValueInfo& output : m_model.graph.outputs) {
        auto it = m_layers.find(output.name);
        if (it == m_layers.end()) {
            throw IoError("'" + m_source + "': the output '" + output.name + "' is " +
                          (isConstant(output.name) ? "a constant, which Loom's graphs cannot output"
                                                   : "computed by no node of the model"));
        }
        outputs.push_back(it->second);
    }
    if (outputs.empty()) {
        throw IoError("'" + m_source + "': the model has no outputs");
    }
    m_graph.setOutputs(outputs);
}

void OnnxImporter::assignWeights() {
    size_t assigned = 0;
    for (const Graph::Node& node : m_graph.nodes()) {
        Layer& l = *node.layer;
        for (Parameter& p : l.parameters()) {
            const Tensor* value = weight(l.name(), p.name);
            if (value == nullptr || value->shape() != p.value.shape()) {
                throw IoError("'" + m_source + "': " + l.describe() + " weight '" + p.name +
                              "' of shape " + p.value.shape().str() +
                              (value == nullptr
                                   ? " has no value in the file"
                                   : " gets a value of shape " + value->shape().str()));
            }
            p.value.copyFrom(*value);
            ++assigned;
        }
    }
    size_t recorded = 0;
    for (const auto& [layerName, weights] : m_weights) {
        recorded += weights.size();
    }
    if (assigned != recorded) {
        throw IoError("'" + m_source + "': the file holds weights the layers do not take");
    }
}

std::string OnnxImporter::where(const OnnxNode& node) const {
    const std::string name = !node.name.empty() ? "node '" + node.name + "'"
                             : !node.outputs.empty() && !node.outputs[0].empty()
                                 ? "the node computing '" + node.outputs[0] + "'"
                                 : "an unnamed node";
    return "'" + m_source + "': " + name + " (" + node.opType + ")";
}

void OnnxImporter::fail(const OnnxNode& node, const std::string& message) const {
    throw OnnxNodeError(where(node) + ": " + message);
}

bool OnnxImporter::hasInput(const OnnxNode& node, size_t index) const {
    return index < node.inputs.size() && !node.inputs[index].empty();
}

bool OnnxImporter::isConstant(const std::string& tensor) const {
    return m_constants.count(tensor) != 0;
}

Tensor OnnxImporter::constant(const OnnxNode& node, size_t index) const {
    if (!hasInput(node, index)) {
        fail(node, "input " + std::to_string(index) + " is missing");
    }
    const std::string& name = node.inputs[index];
    auto it = m_constants.find(name);
    if (it == m_constants.end()) {
        fail(node, "input " + std::to_string(index) + " ('" + name +
                       "') must be a constant (an initializer), as Loom's layers hold their "
                       "weights and settings themselves");
    }
    if (it->second.file == nullptr) {
        return it->second.folded;
    }
    try {
        return it->second.file->value();
    } catch (const Error& e) {
        fail(node, e.what());
    }
}

std::vector<int64_t> OnnxImporter::constantInts(const OnnxNode& node, size_t index) const {
    const Tensor t = constant(node, index);
    std::vector<int64_t> values;
    for (float v : t.toVector()) {
        // Shapes and pads beyond 2^40 are never real; float32 holds smaller whole numbers up
        // to 2^24 exactly, and larger ones only get rejected further on.
        if (v != std::trunc(v) || std::abs(v) > 0x1p40f) {
            fail(node, "input '" + node.inputs[index] + "' holds " + std::to_string(v) +
                           ", not a reasonable whole number");
        }
        values.push_back(static_cast<int64_t>(v));
    }
    return values;
}

std::string OnnxImporter::layerInput(const OnnxNode& node, size_t index) const {
    if (!hasInput(node, index)) {
        fail(node, "input " + std::to_string(index) + " is missing");
    }
    const std::string& name = node.inputs[index];
    auto it = m_layers.find(name);
    if (it != m_layers.end()) {
        return it->second;
    }
    if (isConstant(name)) {
        fail(node, "input '" + name +
                       "' is a constant where Loom expects the output of a layer (Loom's "
                       "layers compute on the network's data, not on constants)");
    }
    fail(node, "reads '" + name + "', which no earlier node, input or initializer defines");
}

std::string OnnxImporter::uniqueName(const std::string& base) const {
    std::string name = base;
    for (int i = 1; m_graph.contains(name); ++i) {
        name = base + "_" + std::to_string(i);
    }
    return name;
}

std::string OnnxImporter::addLayer(const OnnxNode& node, const std::string& type,
                                   const nlohmann::json& params,
                                   const std::vector<std::string>& inputs,
                                   const std::string& suffix) {
    // Named after the node, else its output, else its op: PyTorch leaves some nodes unnamed.
    std::string base = layerNameFrom(node.name);
    if (base.empty() && !node.outputs.empty()) {
        base = layerNameFrom(node.outputs[0]);
    }
    if (base.empty()) {
        base = layerNameFrom(node.opType);
    }
    const std::string name = m_graph.add(type, uniqueName(base + suffix), params, inputs);
    std::vector<Shape> inputShapes;
    for (const std::string& input : inputs) {
        inputShapes.push_back(shapeOf(input));
    }
    m_shapes[name] = m_graph.layer(name).inferShape(inputShapes);
    return name;
}

std::string OnnxImporter::addReshape(const OnnxNode& node, const std::string& from,
                                     const Shape& shape, const std::string& suffix) {
    return addLayer(node, "Reshape", {{"target_shape", shape.dims()}}, {from}, suffix);
}

void OnnxImporter::setWeight(const std::string& layerName, const std::string& parameter,
                             Tensor value) {
    m_weights[layerName][parameter] = std::move(value);
}

const Tensor* OnnxImporter::weight(const std::string& layerName,
                                   const std::string& parameter) const {
    auto l = m_weights.find(layerName);
    if (l == m_weights.end()) {
        return nullptr;
    }
    auto p = l->second.find(parameter);
    return p == l->second.end() ? nullptr : &p->second;
}

const std::string& OnnxImporter::output(const OnnxNode& node, size_t index) const {
    if (index >= node.outputs.size() || node.outputs[index].empty()) {
        fail(node, "output " + std::to_string(index) + " is missing");
    }
    return node.outputs[index];
}

void OnnxImporter::bindLayer(const std::string& tensor, const std::string& layerName) {
    m_constants.erase(tensor);
    m_layers[tensor] = layerName;
}

void OnnxImporter::bindConstant(const std::string& tensor, Tensor value) {
    m_layers.erase(tensor);
    m_constants[tensor] = Constant{nullptr, std::move(value)};
}

void OnnxImporter::bindConstant(const std::string& tensor, const OnnxTensor& value) {
    m_layers.erase(tensor);
    m_constants[tensor] = Constant{&value, Tensor()};
}

void OnnxImporter::alias(const OnnxNode& node, size_t index, const std::string& tensor) {
    if (hasInput(node, index) && isConstant(node.inputs[index])) {
        bindConstant(tensor, constant(node, index));
    } else {
        bindLayer(tensor, layerInput(node, index));
    }
}

const OnnxNode* OnnxImporter::soleConsumer(const std::string& tensor) const {
    auto it = m_consumers.find(tensor);
    if (m_graphOutputs.count(tensor) != 0 || it == m_consumers.end() || it->second.size() != 1) {
        return nullptr;
    }
    return it->second[0];
}

Layer* OnnxImporter::fusableProducer(const OnnxNode& node, size_t index) {
    Layer& producer = m_graph.layer(layerInput(node, index));
    // A layer with a bias and a fused activation (Dense, the convolutions).
    const bool fusable = producer.params().has("use_bias") && producer.params().has("activation");
    const bool free = fusable && producer.activation() == ActivationKind::Linear &&
                      soleConsumer(node.inputs[index]) == &node;
    return free ? &producer : nullptr;
}

void OnnxImporter::applyActivation(const OnnxNode& node, const std::string& activation,
                                   std::optional<float> alpha) {
    if (Layer* producer = fusableProducer(node, 0)) {
        // A fused activation's alpha is Keras' default for its kind (leaky_relu 0.2, relu6 6):
        // set it, and keep it only when that is the node's alpha.
        producer->params().set("activation", activation);
        if (!alpha || static_cast<float>(producer->activationAlpha()) == *alpha) {
            bindLayer(output(node), producer->name());
            return;
        }
        producer->params().set("activation", "linear");
    }
    const std::string input = layerInput(node, 0);
    std::string layer;
    if (activation == "leaky_relu") {
        layer = addLayer(node, "LeakyReLU", {{"alpha", *alpha}}, {input});
    } else if (activation == "elu") {
        layer = addLayer(node, "ELU", {{"alpha", *alpha}}, {input});
    } else if (activation == "relu6") {
        layer = addLayer(node, "ReLU", {{"max_value", *alpha}}, {input});
    } else {
        layer = addLayer(node, "Activation", {{"activation", activation}}, {input});
    }
    bindLayer(output(node), layer);
}

int64_t OnnxImporter::axis(const OnnxNode& node, int64_t axis, int64_t rank) const {
    const int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank) {
        fail(node, "axis " + std::to_string(axis) + " does not exist in a tensor of rank " +
                       std::to_string(rank));
    }
    if (a == 0) {
        fail(node, "works along the batch axis, which Loom's layers leave alone");
    }
    return a;
}

std::optional<Tensor> channelBias(const Tensor& c, const Shape& sample,
                                  std::optional<int64_t> legacyAxis) {
    const auto rank = static_cast<int64_t>(sample.rank()) + 1;
    const auto cRank = static_cast<int64_t>(c.rank());
    const int64_t start = legacyAxis.value_or(rank - cRank);
    if (start < 0 || start + cRank > rank) {
        return std::nullopt;
    }
    const int64_t channels = sample[0];
    bool perChannel = false;
    for (int64_t j = 0; j < cRank; ++j) {
        const int64_t axis = start + j, d = c.dim(static_cast<size_t>(j));
        if (axis == 1 && d == channels) {
            perChannel = true;
        } else if (d != 1) {
            return std::nullopt;
        }
    }
    return perChannel ? c.reshape(Shape{channels}).clone()
                      : Tensor::full(Shape{channels}, c.numel() == 1 ? c.at(0) : 0.0);
}

OnnxOpConverter findOnnxOpConverter(const std::string& opType) {
    static const std::map<std::string, OnnxOpConverter> converters = [] {
        std::map<std::string, OnnxOpConverter> all = {
            {"Identity", convertOnnxIdentity},
            {"Constant", convertOnnxConstant},
            {"Transpose", convertOnnxTranspose},
        };
        for (const LayerKind* kind : LayerRegistry::instance().all()) {
            for (const auto& [op, converter] : kind->onnx.readers) {
                all.emplace(op, converter);
            }
        }
        return all;
    }();
    auto it = converters.find(opType);
    return it == converters.end() ? nullptr : it->second;
}

Graph graphFromOnnx(const OnnxModel& model, const std::string& source) {
    return OnnxImporter(model, source).run();
}

Graph importOnnx(const std::string& path) {
    return graphFromOnnx(readOnnxModelFile(path), path);
}

}  // namespace loom
