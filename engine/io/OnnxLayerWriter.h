#pragma once
// What a layer kind's ONNX writer (LayerKind::onnx.write, in the kind's own file) works with:
// the layer's node in the graph, and the model being written, to which it adds nodes and
// initializers. OnnxExport.cpp walks the graph and calls each layer's kind through it.

#include <loom/Graph.h>
#include <loom/OnnxModel.h>

#include <string>
#include <vector>

namespace loom {

class OnnxLayerWriter {
public:
    OnnxLayerWriter(OnnxModel& model, const Graph::Node& node);

    const Layer& layer() const { return *m_node.layer; }
    const ParamSet& params() const { return m_node.layer->params(); }
    /// The ONNX tensors the layer reads (its input layers' names).
    const std::vector<std::string>& inputs() const { return m_node.inputs; }
    const std::string& input(size_t index = 0) const { return m_node.inputs.at(index); }
    /// Per-sample shapes, Loom's [C, H, W] being ONNX's too.
    const Shape& inputShape(size_t index = 0) const { return m_node.builtInputShapes.at(index); }
    const Shape& outputShape() const { return m_node.outputShape; }
    /// The tensor the layer's last node writes: the layer's name, or "<name>/pre" when the
    /// graph applies an activation after the layer (the exporter then adds it).
    const std::string& output() const { return m_output; }

    /// Adds a node; `name` is the layer's name plus suffix.
    OnnxNode& addNode(const std::string& opType, std::vector<std::string> inputs,
                      const std::string& output, const std::string& suffix = "");
    /// Adds the layer's parameter as a float initializer; returns its name.
    std::string addWeight(const std::string& parameter);
    /// Adds a float initializer "<layer>/<suffix>"; returns its name.
    std::string addConstant(const std::string& suffix, const Tensor& value);
    std::string addScalar(const std::string& suffix, double value);
    /// An INT64 initializer (shapes, pads).
    std::string addInt64s(const std::string& suffix, const std::vector<int64_t>& values);
    /// The layer's activation from tensor `from` to the layer's output; the activation layers'
    /// whole ONNX form.
    void addActivation(const std::string& from);
    bool activationWritten() const { return m_activationWritten; }

    [[noreturn]] void fail(const std::string& message) const;

    static OnnxAttribute intAttribute(const std::string& name, int64_t value);
    static OnnxAttribute floatAttribute(const std::string& name, double value);
    static OnnxAttribute intsAttribute(const std::string& name, std::vector<int64_t> values);

private:
    OnnxModel& m_model;
    const Graph::Node& m_node;
    std::string m_output;
    bool m_activationWritten = false;
};

}  // namespace loom
