#pragma once
// What a layer kind's Keras reader and writer (LayerKind::keras, in the kind's own file) work
// with: checked access to one Keras layer config, the parts of a config every Keras layer
// writes, and the kernel layouts. The importer (KerasModel.cpp) and the exporter
// (KerasExporter.cpp) walk the model and call each layer's kind through these.

#include <loom/Graph.h>
#include <loom/Layer.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace loom {

/// One Keras layer config being read into a Loom layer.
class KerasLayerReader {
public:
    KerasLayerReader(std::string name, std::string className, const nlohmann::json& config,
                     bool channelsLast, size_t inputRank);

    const std::string& name() const { return m_name; }
    const std::string& className() const { return m_className; }
    const nlohmann::json& config() const { return m_config; }
    /// Whether the model's images are [H, W, C] (Keras' default) rather than [C, H, W].
    bool channelsLast() const { return m_channelsLast; }
    /// The per-sample rank of the layer's first input (1 for a layer without inputs).
    size_t inputRank() const { return m_inputRank; }

    /// Throws IoError: "Keras layer '<name>' (<class>): <message>".
    [[noreturn]] void fail(const std::string& message) const;
    /// The "activation" key, checked to be one Loom has.
    std::string activation() const;
    /// A size Keras writes as an int or a list of two, as Loom's pair.
    std::vector<int64_t> pair(const char* key, int64_t fallback) const;
    /// The "padding" key, checked to be valid or same.
    std::string padding() const;
    /// The "axis" key (Keras counts the batch as 0, negative from the end) as Loom's axis.
    int64_t axis() const;
    /// A layer whose output has its input's rank.
    KerasLayerImport sameRank(std::string type, nlohmann::json params) const;

private:
    std::string m_name;
    std::string m_className;
    const nlohmann::json& m_config;
    bool m_channelsLast;
    size_t m_inputRank;
};

/// One layer's entry of a channels_last Keras model_config being written. The config starts
/// with name, trainable and dtype; the class name with the kind's Keras class.
class KerasLayerWriter {
public:
    KerasLayerWriter(const Graph& graph, const Graph::Node& node);

    const Layer& layer() const { return *m_node.layer; }
    const ParamSet& params() const { return m_node.layer->params(); }
    /// Per-sample shapes in Loom's order ([C, H, W] for images).
    const Shape& inputShape(size_t index = 0) const;
    const Shape& outputShape() const { return m_node.outputShape; }

    nlohmann::json& config() { return m_config; }
    const nlohmann::json& config() const { return m_config; }
    const std::string& className() const { return m_className; }
    void setClassName(std::string className) { m_className = std::move(className); }

    /// Throws IoError: "<layer> cannot be exported to Keras: <message>".
    [[noreturn]] void fail(const std::string& message) const;
    /// The layer's activation parameter, checked to be one Keras 2 has.
    std::string activation() const;
    /// use_bias, the kernel's and bias' initializers, and nulls for the regularizers and
    /// constraints Loom does not have, as every Keras 2 weighted layer writes them.
    void addWeightKeys(const std::string& kernel);
    /// Loom's axis of the first input -> Keras' channels_last axis (counting the batch).
    nlohmann::json channelAxis(int64_t loomAxis) const;

    /// A Keras initializer config for one of Loom's initializer names.
    static nlohmann::json initializer(const std::string& name);
    /// A per-sample shape in Keras' channels_last order ([C, H, W] -> [H, W, C]).
    static std::vector<int64_t> kerasShape(const Shape& shape);

private:
    const Graph& m_graph;
    const Graph::Node& m_node;
    nlohmann::json m_config;
    std::string m_className;
};

/// The kind whose Keras class this is, or null when Loom has none.
const LayerKind* findLayerKindByKerasClass(const std::string& className);

/// The layer's parameter names in Keras' weight order.
std::vector<std::string> kerasWeightOrder(const Layer& layer);
/// A weight in Keras' layout -> Loom's, checked against the parameter's shape (IoError naming
/// the layer, the weight and both shapes).
Tensor weightFromKeras(const Layer& layer, const Parameter& parameter, const Tensor& value);
/// A tensor shaped like one of the layer's parameters -> Keras' layout (a host copy).
Tensor weightToKeras(const Layer& layer, const std::string& parameter, const Tensor& value);
/// IoError unless value has the shape Keras gives the parameter.
void requireKerasShape(const Layer& layer, const Parameter& parameter, const Tensor& value,
                       const Shape& expected);

/// Keras 2's HWIO kernel [kh, kw, I, O] <-> Loom's OIHW [O, I, kh, kw].
Tensor hwioToOihw(const Tensor& w);
Tensor oihwToHwio(const Tensor& w);

}  // namespace loom
