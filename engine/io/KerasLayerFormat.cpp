// The Keras reader's and writer's checked pieces, and dispatch to each kind's weight layout.

#include "io/KerasLayerFormat.h"

#include <loom/Error.h>
#include <loom/Json.h>

#include <set>

namespace loom {

using nlohmann::json;

KerasLayerReader::KerasLayerReader(std::string name, std::string className, const json& config,
                                   bool channelsLast, size_t inputRank)
    : m_name(std::move(name)),
      m_className(std::move(className)),
      m_config(config),
      m_channelsLast(channelsLast),
      m_inputRank(inputRank) {}

void KerasLayerReader::fail(const std::string& message) const {
    throw IoError("Keras layer '" + m_name + "' (" + m_className + "): " + message);
}

std::string KerasLayerReader::activation() const {
    static const std::set<std::string> supported = {"linear",  "relu", "sigmoid", "tanh",
                                                    "softmax", "elu",  "relu6"};
    std::string name = m_config.value("activation", std::string("linear"));
    if (supported.count(name) == 0) {
        fail("activation '" + name +
             "' is not supported (Loom has linear, relu, sigmoid, tanh, softmax, elu, relu6)");
    }
    return name;
}

std::vector<int64_t> KerasLayerReader::pair(const char* key, int64_t fallback) const {
    const json v = m_config.value(key, json(fallback));
    if (v.is_number_integer()) {
        return {v.get<int64_t>(), v.get<int64_t>()};
    }
    if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
        return {v[0].get<int64_t>(), v[1].get<int64_t>()};
    }
    fail(std::string("'") + key + "' must be an int or a pair of ints, got " + jsonExcerpt(v));
}

std::string KerasLayerReader::padding() const {
    std::string padding = m_config.value("padding", std::string("valid"));
    if (padding != "valid" && padding != "same") {
        fail("padding '" + padding + "' is not supported (valid or same)");
    }
    return padding;
}

int64_t KerasLayerReader::axis() const {
    json v = m_config.value("axis", json(-1));
    if (v.is_array() && v.size() == 1) {
        v = v[0];
    }
    if (!v.is_number_integer()) {
        fail("axis must be an int, got " + jsonExcerpt(v));
    }
    int64_t axis = v.get<int64_t>();
    const int64_t full = static_cast<int64_t>(m_inputRank) + 1;
    if (axis < 0) {
        axis += full;
    }
    if (axis < 1 || axis >= full) {
        fail("axis " + jsonExcerpt(v) + " is out of range for a rank-" +
             std::to_string(m_inputRank) + " input");
    }
    if (m_channelsLast && m_inputRank == 3) {
        return axis == 3 ? 1 : axis + 1;  // [H, W, C] -> [C, H, W]
    }
    return axis;
}

KerasLayerImport KerasLayerReader::sameRank(std::string type, json params) const {
    return {std::move(type), std::move(params), m_inputRank};
}

KerasLayerWriter::KerasLayerWriter(const Graph& graph, const Graph::Node& node)
    : m_graph(graph),
      m_node(node),
      m_config({{"name", node.layer->name()},
                {"trainable", node.layer->trainable()},
                {"dtype", "float32"}}),
      m_className(node.layer->kind().keras.className) {}

const Shape& KerasLayerWriter::inputShape(size_t index) const {
    return m_graph.node(m_node.inputs.at(index)).outputShape;
}

void KerasLayerWriter::fail(const std::string& message) const {
    throw IoError(layer().describe() + " cannot be exported to Keras: " + message);
}

std::string KerasLayerWriter::activation() const {
    static const std::set<std::string> keras = {"linear",  "relu", "sigmoid",
                                                "softmax", "tanh", "elu"};
    const std::string& name = params().getString("activation");
    if (keras.count(name) == 0) {
        fail("Keras 2 has no activation '" + name + "' (use a separate layer)");
    }
    return name;
}

void KerasLayerWriter::addWeightKeys(const std::string& kernel) {
    m_config["use_bias"] = params().getBool("use_bias");
    m_config[kernel + "_initializer"] = initializer(params().getString(kernel + "_initializer"));
    m_config["bias_initializer"] = initializer(params().getString("bias_initializer"));
    for (const std::string& key : {kernel + "_regularizer", std::string("bias_regularizer"),
                                   std::string("activity_regularizer"), kernel + "_constraint",
                                   std::string("bias_constraint")}) {
        m_config[key] = nullptr;
    }
}

json KerasLayerWriter::channelAxis(int64_t loomAxis) const {
    if (inputShape().rank() == 3) {
        return loomAxis == 1 ? -1 : loomAxis - 1;  // [C, H, W] -> [H, W, C]
    }
    return loomAxis == 1 ? json(-1) : json(loomAxis);
}

json KerasLayerWriter::initializer(const std::string& name) {
    auto scaling = [](double scale, const char* mode, const char* distribution) {
        return json{{"class_name", "VarianceScaling"},
                    {"config",
                     {{"scale", scale},
                      {"mode", mode},
                      {"distribution", distribution},
                      {"seed", nullptr}}}};
    };
    if (name == "glorot_uniform") {
        return scaling(1.0, "fan_avg", "uniform");
    }
    if (name == "glorot_normal") {
        return scaling(1.0, "fan_avg", "truncated_normal");
    }
    if (name == "he_uniform") {
        return scaling(2.0, "fan_in", "uniform");
    }
    if (name == "he_normal") {
        return scaling(2.0, "fan_in", "truncated_normal");
    }
    if (name == "uniform") {
        return {{"class_name", "RandomUniform"},
                {"config", {{"minval", -0.05}, {"maxval", 0.05}, {"seed", nullptr}}}};
    }
    if (name == "normal") {
        return {{"class_name", "RandomNormal"},
                {"config", {{"mean", 0.0}, {"stddev", 0.05}, {"seed", nullptr}}}};
    }
    return {{"class_name", name == "ones" ? "Ones" : "Zeros"}, {"config", json::object()}};
}

std::vector<int64_t> KerasLayerWriter::kerasShape(const Shape& shape) {
    if (shape.rank() == 3) {
        return {shape[1], shape[2], shape[0]};
    }
    return shape.dims();
}

const LayerKind* findLayerKindByKerasClass(const std::string& className) {
    for (const LayerKind* kind : LayerRegistry::instance().all()) {
        if (kind->keras.className == className && kind->keras.read) {
            return kind;
        }
    }
    return nullptr;
}

std::vector<std::string> kerasWeightOrder(const Layer& layer) {
    std::vector<std::string> names;
    for (const std::string& name : layer.kind().keras.weightOrder) {
        for (const Parameter& p : layer.parameters()) {
            if (p.name == name) {
                names.push_back(name);
            }
        }
    }
    if (layer.kind().keras.weightOrder.empty()) {
        for (const Parameter& p : layer.parameters()) {
            names.push_back(p.name);
        }
    }
    return names;
}

void requireKerasShape(const Layer& layer, const Parameter& parameter, const Tensor& value,
                       const Shape& expected) {
    if (value.shape() != expected) {
        throw IoError(layer.describe() + ": weight '" + parameter.name + "' has shape " +
                      value.shape().str() + " in the file, the layer expects " + expected.str());
    }
}

Tensor weightFromKeras(const Layer& layer, const Parameter& parameter, const Tensor& value) {
    if (const auto& convert = layer.kind().keras.weightFromKeras) {
        return convert(layer, parameter, value);
    }
    requireKerasShape(layer, parameter, value, parameter.value.shape());
    return value;
}

Tensor weightToKeras(const Layer& layer, const std::string& parameter, const Tensor& value) {
    Tensor host = value.clone();
    if (const auto& convert = layer.kind().keras.weightToKeras) {
        return convert(layer, parameter, host);
    }
    return host;
}

Tensor hwioToOihw(const Tensor& w) {
    const int64_t kh = w.dim(0), kw = w.dim(1), in = w.dim(2), out = w.dim(3);
    std::vector<float> src = w.toVector(), dst(src.size());
    for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
            for (int64_t i = 0; i < in; ++i)
                for (int64_t o = 0; o < out; ++o)
                    dst[((o * in + i) * kh + y) * kw + x] = src[((y * kw + x) * in + i) * out + o];
    return Tensor::fromVector(Shape{out, in, kh, kw}, dst);
}

Tensor oihwToHwio(const Tensor& w) {
    const int64_t out = w.dim(0), in = w.dim(1), kh = w.dim(2), kw = w.dim(3);
    std::vector<float> src = w.toVector(), dst(src.size());
    for (int64_t o = 0; o < out; ++o)
        for (int64_t i = 0; i < in; ++i)
            for (int64_t y = 0; y < kh; ++y)
                for (int64_t x = 0; x < kw; ++x)
                    dst[((y * kw + x) * in + i) * out + o] = src[((o * in + i) * kh + y) * kw + x];
    return Tensor::fromVector(Shape{kh, kw, in, out}, dst);
}

}  // namespace loom
