// Keras' view of a Loom graph: layer order (by depth, as functional models order them),
// model_config in channels_last form, and weights in Keras' layouts.

#include "io/KerasExporter.h"
#include "io/KerasWeights.h"

#include <loom/Error.h>

#include <algorithm>
#include <functional>
#include <set>

namespace loom {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const Layer& layer, const std::string& message) {
    throw IoError(layer.describe() + " cannot be exported to Keras: " + message);
}

/// A Loom per-sample shape in Keras' channels_last order ([C, H, W] -> [H, W, C]).
std::vector<int64_t> kerasShape(const Shape& shape) {
    if (shape.rank() == 3) {
        return {shape[1], shape[2], shape[0]};
    }
    return shape.dims();
}

json initializer(const std::string& name) {
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

std::string kerasActivation(const Layer& layer) {
    static const std::set<std::string> keras = {"linear",  "relu", "sigmoid",
                                                "softmax", "tanh", "elu"};
    const std::string& name = layer.params().getString("activation");
    if (keras.count(name) == 0) {
        fail(layer, "Keras 2 has no activation '" + name + "' (use a separate layer)");
    }
    return name;
}

/// The keys every Keras 2 weighted layer writes: use_bias, initializers, and nulls for the
/// regularizers and constraints Loom does not have.
void addWeightKeys(json& cfg, const Layer& layer, const std::string& kernel) {
    cfg["use_bias"] = layer.params().getBool("use_bias");
    cfg[kernel + "_initializer"] = initializer(layer.params().getString(kernel + "_initializer"));
    cfg["bias_initializer"] = initializer(layer.params().getString("bias_initializer"));
    for (const std::string& key : {kernel + "_regularizer", std::string("bias_regularizer"),
                                   std::string("activity_regularizer"), kernel + "_constraint",
                                   std::string("bias_constraint")}) {
        cfg[key] = nullptr;
    }
}

/// Dense kernel rows in Loom's CHW order -> Keras' HWC order.
Tensor chwRowsToHwc(const Tensor& w, const Shape& chw) {
    const int64_t c = chw[0], h = chw[1], wd = chw[2], units = w.dim(1);
    std::vector<float> src = w.toVector(), dst(src.size());
    for (int64_t ci = 0; ci < c; ++ci)
        for (int64_t y = 0; y < h; ++y)
            for (int64_t x = 0; x < wd; ++x) {
                const int64_t loomRow = (ci * h + y) * wd + x, kerasRow = (y * wd + x) * c + ci;
                std::copy_n(&src[loomRow * units], units, &dst[kerasRow * units]);
            }
    return Tensor::fromVector(w.shape(), dst);
}

}  // namespace

KerasExporter::KerasExporter(const Graph& graph) : m_graph(graph) {
    if (!graph.isBuilt()) {
        throw GraphError("build the graph before exporting it to Keras");
    }
    orderLayers();
    m_sequential = isChain();
    for (const Graph::Node* node : m_layers) {
        trackFlattened(*node);
    }
    for (const std::string& output : graph.outputNames()) {
        if (m_flattened.count(output) != 0) {
            fail(*graph.node(output).layer,
                 "it outputs a flattened image, whose element "
                 "order differs in channels_last Keras");
        }
    }
}

/// Keras (2.x and 3) lists a functional model's layers by decreasing depth (the longest path
/// to an output), ties in the order a depth-first walk from the outputs first meets them.
void KerasExporter::orderLayers() {
    std::map<std::string, int> index, depth;
    std::vector<std::string> finished;
    std::function<void(const std::string&)> walk = [&](const std::string& name) {
        if (index.count(name) != 0) {
            return;
        }
        index[name] = static_cast<int>(index.size());
        for (const std::string& input : m_graph.node(name).inputs) {
            walk(input);
        }
        finished.push_back(name);
    };
    for (const std::string& output : m_graph.outputNames()) {
        walk(output);
    }
    for (auto it = finished.rbegin(); it != finished.rend(); ++it) {
        const int d = depth[*it];
        for (const std::string& input : m_graph.node(*it).inputs) {
            depth[input] = std::max(depth[input], d + 1);
        }
    }
    for (const std::string& input : m_graph.inputNames()) {
        index.emplace(input, -1);  // an input no output depends on
        depth.emplace(input, 0);
    }
    std::vector<std::string> names;
    for (const auto& [name, i] : index) {
        names.push_back(name);
    }
    std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
        return depth[a] != depth[b] ? depth[a] > depth[b] : index[a] < index[b];
    });
    for (const std::string& name : names) {
        m_layers.push_back(&m_graph.node(name));
    }
}

/// A Sequential model: one input, then each layer reading the one before it.
bool KerasExporter::isChain() const {
    if (m_graph.inputNames().size() != 1 || m_graph.outputNames().size() != 1 ||
        m_layers.front()->layer->type() != "Input") {
        return false;
    }
    for (size_t i = 1; i < m_layers.size(); ++i) {
        const auto& inputs = m_layers[i]->inputs;
        if (inputs.size() != 1 || inputs[0] != m_layers[i - 1]->layer->name()) {
            return false;
        }
    }
    return m_layers.back()->layer->name() == m_graph.outputNames()[0];
}

/// Loom flattens [C, H, W] as C-major, Keras' channels_last as HWC: a Dense reading such a
/// vector gets its rows reordered; any other reader cannot be expressed.
void KerasExporter::trackFlattened(const Graph::Node& node) {
    const Layer& layer = *node.layer;
    for (const std::string& input : node.inputs) {
        auto it = m_flattened.find(input);
        if (it == m_flattened.end() || layer.type() == "Dense") {
            continue;
        }
        if (layer.type() != "Dropout" && layer.type() != "Activation") {
            fail(layer, "it reads '" + input +
                            "', a flattened image, whose element order differs in "
                            "channels_last Keras (only Dense, Dropout and Activation may)");
        }
        m_flattened.emplace(layer.name(), it->second);
    }
    if (layer.type() == "Flatten") {
        const Shape& in = m_graph.node(node.inputs.at(0)).outputShape;
        // With one channel, or one pixel, both orders agree.
        if (in.rank() == 3 && in[0] > 1 && in[1] * in[2] > 1) {
            m_flattened.emplace(layer.name(), in);
        }
    }
}

json KerasExporter::channelAxis(const Graph::Node& node, int64_t loomAxis) const {
    if (m_graph.node(node.inputs.at(0)).outputShape.rank() == 3) {
        return loomAxis == 1 ? -1 : loomAxis - 1;  // [C, H, W] -> [H, W, C]
    }
    return loomAxis == 1 ? json(-1) : json(loomAxis);
}

json KerasExporter::layerConfig(const Graph::Node& node) const {
    const Layer& layer = *node.layer;
    const ParamSet& p = layer.params();
    const std::string& type = layer.type();
    json cfg = {{"name", layer.name()}, {"trainable", layer.trainable()}, {"dtype", "float32"}};
    const char* cls = type.c_str();
    if (type == "Input") {
        json shape = json::array({nullptr});
        for (int64_t d : kerasShape(node.outputShape)) {
            shape.push_back(d);
        }
        cfg = {{"batch_input_shape", shape},
               {"dtype", "float32"},
               {"sparse", false},
               {"name", layer.name()}};
        cls = "InputLayer";
    } else if (type == "Dense") {
        cfg["units"] = p.getInt("units");
        cfg["activation"] = kerasActivation(layer);
        addWeightKeys(cfg, layer, "kernel");
    } else if (type == "Conv2D" || type == "DepthwiseConv2D") {
        if (type == "Conv2D") {
            cfg["filters"] = p.getInt("filters");
        }
        cfg["kernel_size"] = p.getInts("kernel_size");
        cfg["strides"] = p.getInts("strides");
        cfg["padding"] = p.getString("padding");
        if (type == "DepthwiseConv2D") {
            cfg["depth_multiplier"] = p.getInt("depth_multiplier");
        }
        cfg["data_format"] = "channels_last";
        cfg["dilation_rate"] = p.getInts("dilation_rate");
        cfg["activation"] = kerasActivation(layer);
        addWeightKeys(cfg, layer, type == "Conv2D" ? "kernel" : "depthwise");
    } else if (type == "MaxPool2D" || type == "AveragePool2D") {
        const std::vector<int64_t>& strides = p.getInts("strides");
        cfg["pool_size"] = p.getInts("pool_size");
        cfg["padding"] = p.getString("padding");
        cfg["strides"] = strides.empty() ? p.getInts("pool_size") : strides;
        cfg["data_format"] = "channels_last";
        cls = type == "MaxPool2D" ? "MaxPooling2D" : "AveragePooling2D";
    } else if (type == "GlobalAveragePool2D" || type == "Flatten") {
        cfg["data_format"] = "channels_last";
        cls = type == "Flatten" ? "Flatten" : "GlobalAveragePooling2D";
    } else if (type == "BatchNormalization") {
        cfg.update({{"axis", -1},
                    {"momentum", p.getFloat("momentum")},
                    {"epsilon", p.getFloat("epsilon")},
                    {"center", p.getBool("center")},
                    {"scale", p.getBool("scale")},
                    {"beta_initializer", initializer("zeros")},
                    {"gamma_initializer", initializer("ones")},
                    {"moving_mean_initializer", initializer("zeros")},
                    {"moving_variance_initializer", initializer("ones")},
                    {"beta_regularizer", nullptr},
                    {"gamma_regularizer", nullptr},
                    {"beta_constraint", nullptr},
                    {"gamma_constraint", nullptr}});
    } else if (type == "Dropout") {
        cfg.update({{"rate", p.getFloat("rate")}, {"noise_shape", nullptr}, {"seed", nullptr}});
    } else if (type == "Activation") {
        cfg["activation"] = kerasActivation(layer);
    } else if (type == "Concatenate") {
        cfg["axis"] = channelAxis(node, p.getInt("axis"));
    } else if (type == "LeakyReLU" || type == "ELU") {
        cfg["alpha"] = p.getFloat("alpha");
    } else if (type == "ReLU") {
        const double ceiling = p.getFloat("max_value");
        cfg.update({{"max_value", ceiling > 0 ? json(ceiling) : json(nullptr)},
                    {"negative_slope", 0.0},
                    {"threshold", 0.0}});
    } else if (type == "ZeroPadding2D") {
        std::vector<int64_t> v = p.getInts("padding");
        if (v.size() == 1) {
            v = {v[0], v[0], v[0], v[0]};
        } else if (v.size() == 2) {
            v = {v[0], v[0], v[1], v[1]};
        }
        cfg["padding"] = {{v.at(0), v.at(1)}, {v.at(2), v.at(3)}};
        cfg["data_format"] = "channels_last";
    } else if (type == "Reshape") {
        if (node.outputShape.rank() == 3 ||
            m_graph.node(node.inputs.at(0)).outputShape.rank() == 3) {
            fail(layer,
                 "reshaping to or from an image changes the element order in "
                 "channels_last Keras");
        }
        cfg["target_shape"] = node.outputShape.dims();
    } else if (type != "Add") {
        fail(layer, "Keras 2 has no layer Loom can write it as");
    }
    json entry = {{"class_name", cls}, {"config", cfg}};
    if (!m_sequential) {
        json refs = json::array();
        for (const std::string& input : node.inputs) {
            refs.push_back({input, 0, 0, json::object()});
        }
        entry["name"] = layer.name();
        entry["inbound_nodes"] = node.inputs.empty() ? json::array() : json::array({refs});
    }
    return entry;
}

json KerasExporter::modelConfig() const {
    json layers = json::array();
    for (const Graph::Node* node : m_layers) {
        const std::string& name = node->layer->name();
        if (name.empty() || name.find('/') != std::string::npos) {
            fail(*node->layer, "Keras layer names cannot be empty or contain '/'");
        }
        layers.push_back(layerConfig(*node));
    }
    if (m_sequential) {
        return {{"class_name", "Sequential"},
                {"config", {{"name", m_graph.name()}, {"layers", layers}}}};
    }
    auto refs = [](const std::vector<std::string>& names) {
        json list = json::array();
        for (const std::string& name : names) {
            list.push_back({name, 0, 0});
        }
        return list;
    };
    return {{"class_name", "Model"},
            {"config",
             {{"name", m_graph.name()},
              {"layers", layers},
              {"input_layers", refs(m_graph.inputNames())},
              {"output_layers", refs(m_graph.outputNames())}}}};
}

std::vector<const Layer*> KerasExporter::modelLayers() const {
    std::vector<const Layer*> layers;
    for (const Graph::Node* node : m_layers) {
        if (!(m_sequential && node->layer->type() == "Input")) {
            layers.push_back(node->layer.get());
        }
    }
    return layers;
}

Tensor KerasExporter::kerasLayout(const Layer& layer, const std::string& parameter,
                                  const Tensor& value) const {
    Tensor host = value.clone();
    if (layer.type() == "Conv2D" && parameter == "kernel") {
        return oihwToHwio(host);
    }
    if (layer.type() == "DepthwiseConv2D" && parameter == "depthwise_kernel") {
        // Loom's [C*m, 1, kh, kw] is Keras' [kh, kw, C, m] with the last two axes flattened.
        const int64_t multiplier = layer.params().getInt("depth_multiplier");
        Tensor hwio = oihwToHwio(host);
        return hwio.reshape(Shape{hwio.dim(0), hwio.dim(1), hwio.dim(3) / multiplier, multiplier});
    }
    if (layer.type() == "Dense" && parameter == "kernel") {
        auto it = m_flattened.find(m_graph.node(layer.name()).inputs.at(0));
        if (it != m_flattened.end()) {
            return chwRowsToHwc(host, it->second);
        }
    }
    return host;
}

std::vector<std::pair<std::string, Tensor>> KerasExporter::weights(const Layer& layer) const {
    std::vector<const Parameter*> order;
    if (layer.type() == "BatchNormalization") {
        for (const char* name : {"gamma", "beta", "moving_mean", "moving_variance"}) {
            for (const Parameter& p : layer.parameters()) {
                if (p.name == name) {
                    order.push_back(&p);
                }
            }
        }
    } else {
        for (const Parameter& p : layer.parameters()) {
            order.push_back(&p);
        }
    }
    std::vector<std::pair<std::string, Tensor>> out;
    for (const Parameter* p : order) {
        out.emplace_back(p->name, kerasLayout(layer, p->name, p->value));
    }
    return out;
}

}  // namespace loom
