// Keras topology JSON -> Loom graph, and Keras-layout weights -> Loom parameters.

#include <loom/Error.h>
#include <loom/Json.h>
#include <loom/KerasModel.h>

#include "io/KerasConfigUpgrade.h"
#include "io/KerasLayerFormat.h"

#include <algorithm>
#include <set>

namespace loom {
namespace {

using nlohmann::json;

/// The Loom layer a Keras layer becomes, read by the kind that declares its class.
KerasLayerImport convertLayer(const KerasLayerReader& reader) {
    const LayerKind* kind = findLayerKindByKerasClass(reader.className());
    if (kind == nullptr) {
        reader.fail("this layer type is not supported by Loom's Keras import");
    }
    return kind->keras.read(reader);
}

/// Whether a layer of this Keras class keeps each element where it was (a flattened image
/// passes through it unchanged in meaning).
bool keepsElementOrder(const std::string& className) {
    const LayerKind* kind = findLayerKindByKerasClass(className);
    return kind != nullptr && kind->keepsElementOrder;
}

/// Builds the graph layer by layer, tracking ranks and which outputs are flattened
/// channels_last images (whose element order differs from Loom's).
class Converter {
public:
    explicit Converter(bool channelsLast) { m_model.channelsLast = channelsLast; }

    void add(const json& layer, const std::vector<std::string>& inputs) {
        const json& cfg = layer.at("config");
        const std::string name = cfg.value("name", layer.value("name", std::string()));
        const std::string cls = layer.value("class_name", std::string("?"));
        for (const std::string& input : inputs) {
            if (m_rank.count(input) == 0) {
                KerasLayerReader(name, cls, cfg, m_model.channelsLast, 1)
                    .fail("its input '" + input + "' is not an earlier layer of the model");
            }
        }
        const KerasLayerReader reader(name, cls, cfg, m_model.channelsLast,
                                      inputs.empty() ? 1 : m_rank[inputs[0]]);
        const KerasLayerImport converted = convertLayer(reader);
        trackFlattened(reader, inputs);
        std::string added;
        try {
            added = m_model.graph.add(converted.type, name, converted.params, inputs);
        } catch (const Error& e) {  // a bad value (ConfigError) or a duplicate name (GraphError)
            reader.fail(e.what());
        }
        // Frozen layers (a fine-tuned network's base) stay frozen when trained in Loom.
        m_model.graph.layer(added).setTrainable(cfg.value("trainable", true));
        m_rank[name] = converted.rank;
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
    void trackFlattened(const KerasLayerReader& l, const std::vector<std::string>& inputs) {
        for (const std::string& input : inputs) {
            auto it = m_flattened.find(input);
            if (it == m_flattened.end()) {
                continue;
            }
            if (l.className() == "Dense") {
                m_model.denseAfterFlatten[l.name()] = it->second;
            } else if (keepsElementOrder(l.className())) {
                m_flattened[l.name()] = it->second;
            } else {
                l.fail("reads '" + input +
                       "', a flattened channels_last image, whose element order Loom cannot "
                       "reproduce (only Dense and element-wise layers such as Dropout may)");
            }
        }
        if (l.className() == "Flatten" && l.channelsLast() && l.inputRank() == 3) {
            m_flattened[l.name()] = l.name();
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
    auto flatten = model.denseAfterFlatten.find(layer.name());
    if (layer.type() == "Dense" && p.name == "kernel" && flatten != model.denseAfterFlatten.end()) {
        requireKerasShape(layer, p, w, p.value.shape());
        const Graph::Node& node = model.graph.node(flatten->second);
        return hwcRowsToChw(w, model.graph.node(node.inputs.at(0)).outputShape);
    }
    return weightFromKeras(layer, p, w);
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
    const std::vector<std::string> order = kerasWeightOrder(layer);
    if (order.size() != weights.size()) {
        throw IoError(layer.describe() + " has " + std::to_string(order.size()) +
                      " weights, the file gives " + std::to_string(weights.size()));
    }
    for (size_t i = 0; i < order.size(); ++i) {
        Parameter& target = *layer.findParameter(order[i]);
        target.value.copyFrom(toLoomLayout(model, layer, target, weights[i]));
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
