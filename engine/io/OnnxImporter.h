#pragma once
/// Internal: the state of one ONNX import and the services its op converters use (each layer
/// kind's file holds the converters of the ONNX ops it reads). Every ONNX tensor name is bound
/// either to a constant (an initializer, a Constant node, a folded Transpose) or to the Loom layer
/// whose output it is; converters read their inputs through those bindings, add layers, record
/// the weights to assign once the graph is built, and bind their outputs.

#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/OnnxModel.h>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace loom {

/// A sample larger than this (2^31 elements) is a corrupt or hostile file, not a model.
constexpr int64_t kOnnxMaxSampleElements = int64_t{1} << 31;

/// "[1, 2, 3]", for messages.
std::string onnxListText(const std::vector<int64_t>& values);

/// An IoError that already names the file and the node; the importer passes it on unchanged.
class OnnxNodeError : public IoError {
public:
    using IoError::IoError;
};

class OnnxImporter {
public:
    OnnxImporter(const OnnxModel& model, std::string source);

    /// Converts the whole model into a built graph holding the model's weights.
    Graph run();

    // ---- for the op converters ----------------------------------------------------------
    int64_t opset() const { return m_opset; }
    /// Throws OnnxNodeError: "'<file>': node '<name>' (<op>): <message>".
    [[noreturn]] void fail(const OnnxNode& node, const std::string& message) const;

    /// Whether the node has input index (present and not the empty name of an omitted one).
    bool hasInput(const OnnxNode& node, size_t index) const;
    bool isConstant(const std::string& tensor) const;
    /// The value of a constant input, as float32; fails naming the input when it is missing,
    /// computed by a layer, or of a type Loom does not read.
    Tensor constant(const OnnxNode& node, size_t index) const;
    /// Integer values of a constant input (shapes, pads, axes), checked to be whole numbers.
    std::vector<int64_t> constantInts(const OnnxNode& node, size_t index) const;
    /// The Loom layer whose output the input is; fails when it is a constant or unknown.
    std::string layerInput(const OnnxNode& node, size_t index) const;
    /// The per-sample output shape of a layer added so far.
    const Shape& shapeOf(const std::string& layer) const { return m_shapes.at(layer); }
    Layer& layer(const std::string& name) { return m_graph.layer(name); }

    /// Adds a layer named after the node (plus suffix, for the helpers a node needs) and works
    /// out its output shape; returns its name.
    std::string addLayer(const OnnxNode& node, const std::string& type,
                         const nlohmann::json& params, const std::vector<std::string>& inputs,
                         const std::string& suffix = "");
    /// A Reshape layer giving the output of `from` the per-sample shape `shape`.
    std::string addReshape(const OnnxNode& node, const std::string& from, const Shape& shape,
                           const std::string& suffix);
    /// Records a weight to copy into the layer's parameter once the graph is built; value is
    /// already in Loom's layout and shape.
    void setWeight(const std::string& layer, const std::string& parameter, Tensor value);
    /// A weight recorded so far, or null.
    const Tensor* weight(const std::string& layer, const std::string& parameter) const;

    /// The node's output index, failing when the node does not name it.
    const std::string& output(const OnnxNode& node, size_t index = 0) const;
    void bindLayer(const std::string& tensor, const std::string& layer);
    void bindConstant(const std::string& tensor, Tensor value);
    /// Binds a tensor held by the model (a Constant node's), converted when first used.
    void bindConstant(const std::string& tensor, const OnnxTensor& value);
    /// Makes output name whatever input index of the node is bound to.
    void alias(const OnnxNode& node, size_t index, const std::string& tensor);

    /// The one node that reads tensor, when nothing else (no other node, no graph output)
    /// does; null otherwise. Fusing a node into its producer needs this.
    const OnnxNode* soleConsumer(const std::string& tensor) const;
    /// The Dense or convolution whose output is input index of the node, when the node may
    /// fold itself into it (a bias, an activation): the layer has no activation yet and
    /// nothing but this node reads its output. Null otherwise.
    Layer* fusableProducer(const OnnxNode& node, size_t index);
    /// Marks a later node as converted already (fused into the current one).
    void absorb(const OnnxNode& node) { m_absorbed.insert(&node); }
    /// An element-wise activation: fused into the Dense or convolution before it when that
    /// layer's output feeds nothing else and the layer's fused form has this alpha; else a
    /// layer of its own (LeakyReLU, ELU and a capped ReLU carry their alpha; the others are an
    /// Activation layer).
    void applyActivation(const OnnxNode& node, const std::string& activation,
                         std::optional<float> alpha = std::nullopt);
    /// The rank of a layer's output, batch axis included.
    int64_t rankOf(const std::string& layer) const {
        return static_cast<int64_t>(shapeOf(layer).rank()) + 1;
    }
    /// An axis of a tensor of the given rank (batch included), negative ones counted from the
    /// end; fails when it does not exist or is the batch axis.
    int64_t axis(const OnnxNode& node, int64_t axis, int64_t rank) const;

private:
    struct Constant {
        const OnnxTensor* file = nullptr;  ///< initializers and Constant nodes' tensors
        Tensor folded;                     ///< computed here (Transpose of a constant, ...)
    };

    void addInputs();
    void convert(const OnnxNode& node);
    void setOutputs();
    void assignWeights();
    std::string where(const OnnxNode& node) const;
    std::string uniqueName(const std::string& base) const;

    const OnnxModel& m_model;
    std::string m_source;
    int64_t m_opset = 0;
    Graph m_graph;
    std::map<std::string, Constant> m_constants;
    std::map<std::string, std::string> m_layers;  ///< ONNX tensor -> Loom layer
    std::map<std::string, Shape> m_shapes;        ///< Loom layer -> per-sample output shape
    std::map<std::string, std::vector<const OnnxNode*>> m_consumers;
    std::set<std::string> m_graphOutputs;
    std::set<const OnnxNode*> m_absorbed;
    /// layer -> parameter -> value, assigned after build.
    std::map<std::string, std::map<std::string, Tensor>> m_weights;
};

/// The importer's own converters (OnnxImportConstants.cpp): the ops no layer computes.
void convertOnnxIdentity(OnnxImporter& imp, const OnnxNode& node);
void convertOnnxConstant(OnnxImporter& imp, const OnnxNode& node);
void convertOnnxTranspose(OnnxImporter& imp, const OnnxNode& node);

/// The converter for an op of the default domain: the importer's own, or the one a layer kind
/// declares (LayerKind::onnx.readers); null when Loom has none.
OnnxOpConverter findOnnxOpConverter(const std::string& opType);

/// A constant c broadcast against a layer's output [N, sample...] as a bias per channel (the
/// first per-sample axis): c's dims, aligned from the right (numpy broadcasting) or from
/// legacyAxis (opset < 7), must be 1 everywhere but on the channel axis, where they are 1 or
/// the channel count. Returns the per-channel values, or nothing when c is no such bias.
std::optional<Tensor> channelBias(const Tensor& c, const Shape& sample,
                                  std::optional<int64_t> legacyAxis);

}  // namespace loom
