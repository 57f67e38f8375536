#pragma once
// Keras' view of a Loom graph, shared by the Keras HDF5 and TF.js exporters: the model_config
// Keras rebuilds the model from and each weight in the layout Keras keeps it in.

#include <loom/Graph.h>

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace loom {

inline constexpr const char* kKerasVersion = "2.4.0";
inline constexpr const char* kKerasBackend = "tensorflow";
/// A root attribute of Loom's own: {layer: learning-rate factor} for factors other than 1.
inline constexpr const char* kLearningRateFactorsAttribute = "loom_learning_rate_factors";

/// Keras' view of the graph: which layers it will have, in which order, and what each
/// Loom tensor's element order means there.
class KerasExporter {
public:
    explicit KerasExporter(const Graph& graph);

    nlohmann::json modelConfig() const;
    /// Keras' model.layers, the order of layer_names (Sequential models leave out the input).
    std::vector<const Layer*> modelLayers() const;
    /// A layer's weights in Keras' order: ("kernel", value in Keras' layout).
    std::vector<std::pair<std::string, Tensor>> weights(const Layer& layer) const;
    /// A Loom tensor shaped like one of the layer's parameters (a weight or an optimizer
    /// slot), in Keras' layout.
    Tensor kerasLayout(const Layer& layer, const std::string& parameter, const Tensor& value) const;
    const std::vector<const Graph::Node*>& layers() const { return m_layers; }

private:
    void orderLayers();
    bool isChain() const;
    void trackFlattened(const Graph::Node& node);
    nlohmann::json layerConfig(const Graph::Node& node) const;

    const Graph& m_graph;
    std::vector<const Graph::Node*> m_layers;
    bool m_sequential = false;
    /// Nodes whose output is a flattened [C, H, W] image -> that [C, H, W] shape.
    std::map<std::string, Shape> m_flattened;
};

}  // namespace loom
