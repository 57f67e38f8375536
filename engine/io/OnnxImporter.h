#pragma once
/// Internal: the state of one ONNX import and the services its op converters use
/// (OnnxImportOps.cpp holds one converter per ONNX op). Every ONNX tensor name is bound either
/// to a constant (an initializer, a Constant node, a folded Transpose) or to the Loom layer
/// whose output it is; converters read their inputs through those bindings, add layers, record
/// the weights to assign once the graph is built, and bind their outputs.

#include <loom/Error.h>
#include <loom/Graph.h>
#include <loom/OnnxModel.h>

#include <map>
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

/// The converters of the ops that only move or reshape data (OnnxImportShapeOps.cpp); the
/// table in OnnxImportOps.cpp lists them, and those below, with its own.
void convertFlatten(OnnxImporter& imp, const OnnxNode& node);
void convertReshape(OnnxImporter& imp, const OnnxNode& node);
void convertSqueeze(OnnxImporter& imp, const OnnxNode& node);
void convertUnsqueeze(OnnxImporter& imp, const OnnxNode& node);
void convertConcat(OnnxImporter& imp, const OnnxNode& node);
void convertPad(OnnxImporter& imp, const OnnxNode& node);
void convertIdentity(OnnxImporter& imp, const OnnxNode& node);
void convertConstant(OnnxImporter& imp, const OnnxNode& node);
void convertTranspose(OnnxImporter& imp, const OnnxNode& node);

/// The converters of the activations and dropout (OnnxImportActivations.cpp).
void convertRelu(OnnxImporter& imp, const OnnxNode& node);
void convertSigmoid(OnnxImporter& imp, const OnnxNode& node);
void convertTanh(OnnxImporter& imp, const OnnxNode& node);
void convertLeakyRelu(OnnxImporter& imp, const OnnxNode& node);
void convertElu(OnnxImporter& imp, const OnnxNode& node);
void convertClip(OnnxImporter& imp, const OnnxNode& node);
void convertSoftmax(OnnxImporter& imp, const OnnxNode& node);
void convertDropout(OnnxImporter& imp, const OnnxNode& node);

/// Converts one node of its op type. Defined in OnnxImportOps.cpp.
using OnnxOpConverter = void (*)(OnnxImporter&, const OnnxNode&);
/// The converter for an op of the default domain, or null when Loom has none.
OnnxOpConverter findOnnxOpConverter(const std::string& opType);

}  // namespace loom
