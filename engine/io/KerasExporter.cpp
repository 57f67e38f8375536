// Keras' view of a Loom graph: layer order (by depth, as functional models order them),
// model_config in channels_last form, and weights in Keras' layouts.

#include "io/KerasExporter.h"
#include "io/KerasLayerFormat.h"
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
        if (!layer.kind().keepsElementOrder) {
            fail(layer, "it reads '" + input +
                            "', a flattened image, whose element order differs in "
                            "channels_last Keras (only Dense and element-wise layers such as "
                            "Dropout may)");
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

json KerasExporter::layerConfig(const Graph::Node& node) const {
    const Layer& layer = *node.layer;
    const KerasFormat& keras = layer.kind().keras;
    if (!keras.write) {
        fail(layer, "Keras 2 has no layer Loom can write it as");
    }
    KerasLayerWriter writer(m_graph, node);
    keras.write(writer);
    json entry = {{"class_name", writer.className()}, {"config", writer.config()}};
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
    if (layer.type() == "Dense" && parameter == "kernel") {
        auto it = m_flattened.find(m_graph.node(layer.name()).inputs.at(0));
        if (it != m_flattened.end()) {
            return chwRowsToHwc(value.clone(), it->second);
        }
    }
    return weightToKeras(layer, parameter, value);
}

std::vector<std::pair<std::string, Tensor>> KerasExporter::weights(const Layer& layer) const {
    std::vector<std::pair<std::string, Tensor>> out;
    for (const std::string& name : kerasWeightOrder(layer)) {
        for (const Parameter& p : layer.parameters()) {
            if (p.name == name) {
                out.emplace_back(name, kerasLayout(layer, name, p.value));
            }
        }
    }
    return out;
}

}  // namespace loom
