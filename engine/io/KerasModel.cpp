// Keras topology JSON -> Loom graph, and Keras-layout weights -> Loom parameters.

#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/KerasModel.h>

#include "io/KerasConfigUpgrade.h"

#include <algorithm>
#include <set>

namespace loom {
namespace {

using nlohmann::json;

/// One Keras layer being converted: what messages name, and its config.
struct KerasLayer {
    std::string name;
    std::string cls;
    const json& cfg;
};

/// A converted layer: Loom's type and params, and the per-sample rank of its output.
struct Converted {
    std::string type;
    json params = json::object();
    size_t rank = 1;
};

[[noreturn]] void fail(const KerasLayer& l, const std::string& message) {
    throw IoError("Keras layer '" + l.name + "' (" + l.cls + "): " + message);
}

std::string activationOf(const KerasLayer& l) {
    static const std::set<std::string> supported = {"linear",  "relu", "sigmoid", "tanh",
                                                    "softmax", "elu",  "relu6"};
    std::string name = l.cfg.value("activation", std::string("linear"));
    if (supported.count(name) == 0) {
        fail(l, "activation '" + name +
                    "' is not supported (Loom has linear, relu, sigmoid, "
                    "tanh, softmax, elu, relu6)");
    }
    return name;
}

/// Keras writes sizes as an int or a list; Loom wants a pair.
std::vector<int64_t> pairOf(const KerasLayer& l, const char* key, int64_t def) {
    const json v = l.cfg.value(key, json(def));
    if (v.is_number_integer()) {
        return {v.get<int64_t>(), v.get<int64_t>()};
    }
    if (v.is_array() && v.size() == 2 && v[0].is_number_integer() && v[1].is_number_integer()) {
        return {v[0].get<int64_t>(), v[1].get<int64_t>()};
    }
    fail(l, std::string("'") + key + "' must be an int or a pair of ints, got " + jsonExcerpt(v));
}

std::string paddingOf(const KerasLayer& l) {
    std::string padding = l.cfg.value("padding", std::string("valid"));
    if (padding != "valid" && padding != "same") {
        fail(l, "padding '" + padding + "' is not supported (valid or same)");
    }
    return padding;
}

/// Keras channel axis (counting the batch as 0, negative from the end) -> Loom's axis.
int64_t loomAxis(const KerasLayer& l, bool channelsLast, size_t rank) {
    json v = l.cfg.value("axis", json(-1));
    if (v.is_array() && v.size() == 1) {
        v = v[0];
    }
    if (!v.is_number_integer()) {
        fail(l, "axis must be an int, got " + jsonExcerpt(v));
    }
    int64_t axis = v.get<int64_t>();
    int64_t full = static_cast<int64_t>(rank) + 1;
    if (axis < 0) {
        axis += full;
    }
    if (axis < 1 || axis >= full) {
        fail(l, "axis " + jsonExcerpt(v) + " is out of range for a rank-" + std::to_string(rank) +
                    " input");
    }
    if (channelsLast && rank == 3) {
        return axis == 3 ? 1 : axis + 1;  // [H, W, C] -> [C, H, W]
    }
    return axis;
}

/// Per-sample input shape from batch_input_shape (Keras 2) or batch_shape (Keras 3).
Converted convertInput(const KerasLayer& l, bool channelsLast) {
    const json shape = l.cfg.contains("batch_input_shape") ? l.cfg["batch_input_shape"]
                                                           : l.cfg.value("batch_shape", json());
    if (!shape.is_array() || shape.size() < 2) {
        fail(l, "needs a batch_input_shape with at least one dimension");
    }
    std::vector<int64_t> dims;
    for (size_t i = 1; i < shape.size(); ++i) {
        if (!shape[i].is_number_integer() || shape[i].get<int64_t>() < 1) {
            fail(l, "Loom needs fixed input sizes, got " + jsonExcerpt(shape));
        }
        dims.push_back(shape[i].get<int64_t>());
    }
    if (channelsLast && dims.size() == 3) {
        dims = {dims[2], dims[0], dims[1]};
    }
    return {"Input", {{"shape", dims}}, dims.size()};
}

Converted convertConv(const KerasLayer& l) {
    if (l.cfg.value("groups", 1) != 1) {
        fail(l, "grouped convolutions are not supported");
    }
    Converted c{"Conv2D"};
    c.params = {{"filters", l.cfg.at("filters")},
                {"kernel_size", pairOf(l, "kernel_size", 3)},
                {"strides", pairOf(l, "strides", 1)},
                {"padding", paddingOf(l)},
                {"dilation_rate", pairOf(l, "dilation_rate", 1)},
                {"use_bias", l.cfg.value("use_bias", true)},
                {"activation", activationOf(l)}};
    c.rank = 3;
    return c;
}

/// Keras' [kh, kw, channels, multiplier] kernel becomes a grouped convolution's.
Converted convertDepthwiseConv(const KerasLayer& l) {
    Converted c{"DepthwiseConv2D"};
    c.params = {{"kernel_size", pairOf(l, "kernel_size", 3)},
                {"strides", pairOf(l, "strides", 1)},
                {"padding", paddingOf(l)},
                {"depth_multiplier", l.cfg.value("depth_multiplier", 1)},
                {"dilation_rate", pairOf(l, "dilation_rate", 1)},
                {"use_bias", l.cfg.value("use_bias", true)},
                {"activation", activationOf(l)}};
    c.rank = 3;
    return c;
}

Converted convertPool(const KerasLayer& l, const std::string& type) {
    Converted c{type};
    c.params = {{"pool_size", pairOf(l, "pool_size", 2)}, {"padding", paddingOf(l)}};
    if (l.cfg.contains("strides") && !l.cfg["strides"].is_null()) {
        c.params["strides"] = pairOf(l, "strides", 1);
    }
    c.rank = 3;
    return c;
}

/// Keras' int, (rows, cols) or ((top, bottom), (left, right)) -> Loom's 1, 2 or 4 values.
Converted convertZeroPadding(const KerasLayer& l) {
    const json v = l.cfg.value("padding", json(1));
    std::vector<int64_t> padding;
    if (v.is_number_integer()) {
        padding = {v.get<int64_t>()};
    } else if (v.is_array() && v.size() == 2 && v[0].is_array()) {
        padding = {v[0].at(0), v[0].at(1), v[1].at(0), v[1].at(1)};
    } else {
        padding = {v.at(0).get<int64_t>(), v.at(1).get<int64_t>()};
    }
    return {"ZeroPadding2D", {{"padding", padding}}, 3};
}

Converted convertReshape(const KerasLayer& l, bool channelsLast, size_t inputRank) {
    std::vector<int64_t> target = l.cfg.at("target_shape").get<std::vector<int64_t>>();
    if (channelsLast && (inputRank == 3 || target.size() == 3)) {
        fail(l,
             "reshaping to or from a channels_last image changes the element order, which "
             "Loom cannot import");
    }
    return {"Reshape", {{"target_shape", target}}, target.size()};
}

/// Keras' ReLU(max_value, negative_slope, threshold): a ceiling alone is Loom's ReLU, a
/// negative slope alone its LeakyReLU.
Converted convertRelu(const KerasLayer& l, size_t rank) {
    const json ceiling = l.cfg.value("max_value", json());
    const double slope = l.cfg.value("negative_slope", 0.0);
    if (l.cfg.value("threshold", 0.0) != 0.0 || (slope != 0.0 && !ceiling.is_null())) {
        fail(l, "a threshold, or a negative_slope together with a max_value, is not supported");
    }
    if (slope != 0.0) {
        return {"LeakyReLU", {{"alpha", slope}}, rank};
    }
    if (ceiling.is_null()) {
        return {"ReLU", json::object(), rank};
    }
    if (!ceiling.is_number() || ceiling.get<double>() <= 0.0) {
        fail(l, "max_value must be a positive number or null, got " + jsonExcerpt(ceiling));
    }
    return {"ReLU", {{"max_value", ceiling}}, rank};
}

/// The layer kinds whose output rank is their first input's.
Converted convertSameRank(const KerasLayer& l, bool channelsLast, size_t rank) {
    if (l.cls == "Dropout") {
        return {"Dropout", {{"rate", l.cfg.value("rate", 0.5)}}, rank};
    }
    if (l.cls == "Activation") {
        return {"Activation", {{"activation", activationOf(l)}}, rank};
    }
    if (l.cls == "BatchNormalization") {
        if (loomAxis(l, channelsLast, rank) != 1) {
            fail(l, "only the channel axis can be normalised in Loom");
        }
        return {"BatchNormalization",
                {{"momentum", l.cfg.value("momentum", 0.99)},
                 {"epsilon", l.cfg.value("epsilon", 1e-3)},
                 {"center", l.cfg.value("center", true)},
                 {"scale", l.cfg.value("scale", true)}},
                rank};
    }
    if (l.cls == "Concatenate") {
        return {"Concatenate", {{"axis", loomAxis(l, channelsLast, rank)}}, rank};
    }
    if (l.cls == "Add") {
        return {"Add", json::object(), rank};
    }
    if (l.cls == "LeakyReLU") {
        // Keras 3 calls alpha negative_slope.
        double alpha = l.cfg.value("alpha", l.cfg.value("negative_slope", 0.3));
        return {"LeakyReLU", {{"alpha", alpha}}, rank};
    }
    if (l.cls == "ELU") {
        return {"ELU", {{"alpha", l.cfg.value("alpha", 1.0)}}, rank};
    }
    if (l.cls == "ReLU") {
        return convertRelu(l, rank);
    }
    fail(l, "this layer type is not supported by Loom's Keras import");
}

Converted convertLayer(const KerasLayer& l, bool channelsLast, size_t inputRank) {
    if (l.cls == "InputLayer") {
        return convertInput(l, channelsLast);
    }
    if (l.cls == "Dense") {
        return {"Dense",
                {{"units", l.cfg.at("units")},
                 {"use_bias", l.cfg.value("use_bias", true)},
                 {"activation", activationOf(l)}},
                1};
    }
    if (l.cls == "Conv2D") {
        return convertConv(l);
    }
    if (l.cls == "DepthwiseConv2D") {
        return convertDepthwiseConv(l);
    }
    if (l.cls == "MaxPooling2D") {
        return convertPool(l, "MaxPool2D");
    }
    if (l.cls == "AveragePooling2D") {
        return convertPool(l, "AveragePool2D");
    }
    if (l.cls == "GlobalAveragePooling2D") {
        if (l.cfg.value("keepdims", false)) {
            fail(l, "keepdims is not supported");
        }
        return {"GlobalAveragePool2D", json::object(), 1};
    }
    if (l.cls == "Flatten") {
        return {"Flatten", json::object(), 1};
    }
    if (l.cls == "Reshape") {
        return convertReshape(l, channelsLast, inputRank);
    }
    if (l.cls == "ZeroPadding2D") {
        return convertZeroPadding(l);
    }
    return convertSameRank(l, channelsLast, inputRank);
}

/// Builds the graph layer by layer, tracking ranks and which outputs are flattened
/// channels_last images (whose element order differs from Loom's).
class Converter {
public:
    explicit Converter(bool channelsLast) { m_model.channelsLast = channelsLast; }

    void add(const json& layer, const std::vector<std::string>& inputs) {
        const json& cfg = layer.at("config");
        KerasLayer l{cfg.value("name", layer.value("name", std::string())),
                     layer.value("class_name", std::string("?")), cfg};
        size_t inputRank = 1;
        for (const std::string& input : inputs) {
            if (m_rank.count(input) == 0) {
                fail(l, "its input '" + input + "' is not an earlier layer of the model");
            }
        }
        if (!inputs.empty()) {
            inputRank = m_rank[inputs[0]];
        }
        Converted c = convertLayer(l, m_model.channelsLast, inputRank);
        trackFlattened(l, inputs, inputRank);
        std::string added;
        try {
            added = m_model.graph.add(c.type, l.name, c.params, inputs);
        } catch (const Error& e) {  // a bad value (ConfigError) or a duplicate name (GraphError)
            fail(l, e.what());
        }
        // Frozen layers (a fine-tuned network's base) stay frozen when trained in Loom.
        m_model.graph.layer(added).setTrainable(l.cfg.value("trainable", true));
        m_rank[l.name] = c.rank;
    }

    void setOutputs(const std::vector<std::string>& outputs) {
        for (const std::string& output : outputs) {
            if (m_flattened.count(output) != 0) {
                throw IoError("Keras layer '" + output +
                              "' outputs a flattened channels_last image, whose element order "
                              "Loom cannot reproduce");
            }
        }
        m_model.graph.setOutputs(outputs);
    }

    KerasModel take() { return std::move(m_model); }

private:
    void trackFlattened(const KerasLayer& l, const std::vector<std::string>& inputs,
                        size_t inputRank) {
        for (const std::string& input : inputs) {
            auto it = m_flattened.find(input);
            if (it == m_flattened.end()) {
                continue;
            }
            if (l.cls == "Dense") {
                m_model.denseAfterFlatten[l.name] = it->second;
            } else if (l.cls == "Dropout" || l.cls == "Activation") {
                m_flattened[l.name] = it->second;
            } else {
                fail(l, "reads '" + input +
                            "', a flattened channels_last image, whose element "
                            "order Loom cannot reproduce (only Dense, Dropout, Activation may)");
            }
        }
        if (l.cls == "Flatten" && m_model.channelsLast && inputRank == 3) {
            m_flattened[l.name] = l.name;
        }
    }

    KerasModel m_model;
    std::map<std::string, size_t> m_rank;
    std::map<std::string, std::string> m_flattened;
};

/// channels_first when any layer says so; a mix of both is not importable.
bool isChannelsLast(const json& layers) {
    std::set<std::string> formats;
    for (const json& layer : layers) {
        const json& cfg = layer.value("config", json::object());
        if (cfg.is_object() && cfg.contains("data_format") && cfg["data_format"].is_string()) {
            formats.insert(cfg["data_format"].get<std::string>());
        }
    }
    if (formats.size() > 1) {
        throw IoError("the Keras model mixes channels_first and channels_last layers");
    }
    return formats.empty() || *formats.begin() != "channels_first";
}

KerasModel convertSequential(const json& config) {
    const json& layers = config.is_array() ? config : config.at("layers");
    if (!layers.is_array() || layers.empty()) {
        throw IoError("the Keras Sequential model has no layers");
    }
    Converter converter(isChannelsLast(layers));
    std::string previous;
    for (const json& layer : layers) {
        std::vector<std::string> inputs;
        if (previous.empty() && layer.value("class_name", "") != "InputLayer") {
            // Keras makes the input from the first layer's batch_input_shape.
            const json& cfg = layer.at("config");
            std::string inputName = cfg.value("name", std::string("layer")) + "_input";
            json input = {{"class_name", "InputLayer"}, {"config", cfg}};
            input["config"]["name"] = inputName;
            converter.add(input, {});
            previous = inputName;
        }
        if (!previous.empty()) {
            inputs.push_back(previous);
        }
        converter.add(layer, inputs);
        previous = layer.at("config").value("name", std::string());
    }
    converter.setOutputs({previous});
    return converter.take();
}

/// Keras 2 inbound_nodes: [[["name", node_index, tensor_index, kwargs], ...]], one node.
std::vector<std::string> inboundOf(const json& layer) {
    const std::string name = layer.value("name", std::string("?"));
    const json& nodes = layer.value("inbound_nodes", json::array());
    if (!nodes.is_array() || nodes.size() > 1) {
        throw IoError("Keras layer '" + name +
                      "': shared layers and inbound_nodes formats "
                      "other than Keras 2's are not supported");
    }
    std::vector<std::string> inputs;
    for (const json& node : nodes) {
        for (const json& ref : node) {
            if (!ref.is_array() || ref.size() < 3 || !ref[0].is_string() || ref[1] != 0 ||
                ref[2] != 0) {
                throw IoError("Keras layer '" + name + "': unsupported inbound node " +
                              jsonExcerpt(ref));
            }
            inputs.push_back(ref[0].get<std::string>());
        }
    }
    return inputs;
}

KerasModel convertFunctional(const json& config) {
    const json& layers = config.at("layers");
    Converter converter(isChannelsLast(layers));
    for (const json& layer : layers) {
        converter.add(layer, inboundOf(layer));
    }
    std::vector<std::string> outputs;
    for (const json& ref : config.at("output_layers")) {
        outputs.push_back(ref.at(0).get<std::string>());
    }
    converter.setOutputs(outputs);
    return converter.take();
}

/// Loom's parameters in Keras' weight order.
std::vector<Parameter*> kerasOrder(Layer& layer) {
    std::vector<Parameter*> order;
    if (layer.type() == "BatchNormalization") {
        for (const char* name : {"gamma", "beta", "moving_mean", "moving_variance"}) {
            if (Parameter* p = layer.findParameter(name)) {
                order.push_back(p);
            }
        }
        return order;
    }
    for (Parameter& p : layer.parameters()) {
        order.push_back(&p);
    }
    return order;
}

/// HWIO [kh, kw, I, O] -> OIHW [O, I, kh, kw].
Tensor hwioToOihw(const Tensor& w) {
    int64_t kh = w.dim(0), kw = w.dim(1), in = w.dim(2), out = w.dim(3);
    std::vector<float> src = w.toVector(), dst(src.size());
    for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
            for (int64_t i = 0; i < in; ++i)
                for (int64_t o = 0; o < out; ++o)
                    dst[((o * in + i) * kh + y) * kw + x] = src[((y * kw + x) * in + i) * out + o];
    return Tensor::fromVector(Shape{out, in, kh, kw}, dst);
}

/// Dense kernel rows in HWC order (Keras' flatten of [H, W, C]) -> CHW order (Loom's).
Tensor hwcRowsToChw(const Tensor& w, const Shape& chw) {
    int64_t c = chw[0], h = chw[1], wd = chw[2], units = w.dim(1);
    std::vector<float> src = w.toVector(), dst(src.size());
    for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < wd; ++x) {
                int64_t loomRow = (ci * h + y) * wd + x, kerasRow = (y * wd + x) * c + ci;
                std::copy_n(&src[kerasRow * units], units, &dst[loomRow * units]);
            }
    return Tensor::fromVector(w.shape(), dst);
}

/// The weight as the Keras file holds it -> Loom's layout, after checking its shape.
Tensor toLoomLayout(const KerasModel& model, const Layer& layer, const Parameter& p,
                    const Tensor& w) {
    const Shape& loom = p.value.shape();
    bool convKernel = layer.type() == "Conv2D" && p.name == "kernel";
    bool depthwiseKernel = layer.type() == "DepthwiseConv2D" && p.name == "depthwise_kernel";
    Shape expected = loom;
    if (convKernel) {
        expected = Shape{loom[2], loom[3], loom[1], loom[0]};
    } else if (depthwiseKernel) {
        int64_t multiplier = layer.params().getInt("depth_multiplier");
        expected = Shape{loom[2], loom[3], loom[0] / multiplier, multiplier};
    }
    if (w.shape() != expected) {
        throw IoError(layer.describe() + ": weight '" + p.name + "' has shape " + w.shape().str() +
                      " in the file, the layer expects " + expected.str());
    }
    if (convKernel) {
        return hwioToOihw(w);
    }
    if (depthwiseKernel) {
        // Keras' output channel c*m + j is (channel c, filter j): the last two axes flattened,
        // which is an HWIO kernel with one input channel per group.
        return hwioToOihw(w.reshape(Shape{loom[2], loom[3], 1, loom[0]}));
    }
    auto flatten = model.denseAfterFlatten.find(layer.name());
    if (layer.type() == "Dense" && p.name == "kernel" && flatten != model.denseAfterFlatten.end()) {
        const Graph::Node& node = model.graph.node(flatten->second);
        return hwcRowsToChw(w, model.graph.node(node.inputs.at(0)).outputShape);
    }
    return w;
}

}  // namespace

KerasModel kerasModelFromConfig(const nlohmann::json& modelConfig) {
    try {
        // Keras 1 and Keras 3 configs are read in their Keras 2 form.
        const json upgraded = upgradeKerasConfig(modelConfig);
        std::string cls = upgraded.at("class_name").get<std::string>();
        const json& config = upgraded.at("config");
        if (cls == "Sequential") {
            return convertSequential(config);
        }
        if (cls == "Model" || cls == "Functional") {
            return convertFunctional(config);
        }
        throw IoError("Keras model class '" + cls +
                      "' is not supported (Sequential, Model, "
                      "Functional)");
    } catch (const json::exception& e) {
        throw IoError(std::string("malformed Keras model config: ") + e.what());
    }
}

void assignKerasWeights(KerasModel& model, const std::string& layerName,
                        const std::vector<Tensor>& weights) {
    if (!model.graph.contains(layerName)) {
        throw IoError("the weights name layer '" + layerName + "', which the model does not have");
    }
    Layer& layer = model.graph.layer(layerName);
    std::vector<Parameter*> targets = kerasOrder(layer);
    if (targets.size() != weights.size()) {
        throw IoError(layer.describe() + " has " + std::to_string(targets.size()) +
                      " weights, the file gives " + std::to_string(weights.size()));
    }
    for (size_t i = 0; i < targets.size(); ++i) {
        targets[i]->value.copyFrom(toLoomLayout(model, layer, *targets[i], weights[i]));
    }
}

Tensor kerasToLoomLayout(const KerasModel& model, const std::string& layerName,
                         const std::string& parameterName, const Tensor& value) {
    if (!model.graph.contains(layerName)) {
        throw IoError("the model has no layer '" + layerName + "'");
    }
    const Layer& layer = *model.graph.node(layerName).layer;
    for (const Parameter& p : layer.parameters()) {
        if (p.name == parameterName) {
            return toLoomLayout(model, layer, p, value);
        }
    }
    throw IoError(layer.describe() + " has no weight '" + parameterName + "'");
}

}  // namespace loom
