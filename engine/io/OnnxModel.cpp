#include <loom/Error.h>
#include <loom/OnnxModel.h>

#include "io/OnnxProto.h"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>

namespace loom {

namespace {

void readAttribute(const onnx::AttributeProto& p, OnnxAttribute& a, const std::string& context) {
    a.name = p.name();
    a.type = p.type();
    a.f = p.f();
    a.i = p.i();
    a.s = p.s();
    if (p.has_t()) {
        a.t = std::make_shared<OnnxTensor>(readOnnxTensor(p.t(), context));
    }
    a.floats.assign(p.floats().begin(), p.floats().end());
    a.ints.assign(p.ints().begin(), p.ints().end());
    a.strings.assign(p.strings().begin(), p.strings().end());
}

void readNode(const onnx::NodeProto& p, OnnxNode& node, const std::string& context) {
    node.name = p.name();
    node.opType = p.op_type();
    node.domain = p.domain();
    node.inputs.assign(p.input().begin(), p.input().end());
    node.outputs.assign(p.output().begin(), p.output().end());
    for (const onnx::AttributeProto& attribute : p.attribute()) {
        readAttribute(attribute, node.attributes.emplace_back(),
                      context + " attribute '" + attribute.name() + "'");
    }
}

/// Tensor types only: sequences and maps are not Loom's. A symbolic or absent dimension is -1.
void readValueInfo(const onnx::ValueInfoProto& p, OnnxValueInfo& info) {
    info.name = p.name();
    if (!p.type().has_tensor_type()) {
        return;
    }
    const onnx::TypeProto::Tensor& type = p.type().tensor_type();
    info.elemType = type.elem_type();
    info.hasShape = type.has_shape();
    for (const onnx::TensorShapeProto::Dimension& dim : type.shape().dim()) {
        info.dims.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
    }
}

void readGraph(const onnx::GraphProto& p, OnnxGraph& graph, const std::string& context) {
    graph.name = p.name();
    for (const onnx::NodeProto& node : p.node()) {
        readNode(node, graph.nodes.emplace_back(),
                 context + " node[" + std::to_string(graph.nodes.size()) + "]");
    }
    for (const onnx::TensorProto& t : p.initializer()) {
        graph.initializers.push_back(readOnnxTensor(
            t, context + " initializer[" + std::to_string(graph.initializers.size()) + "]"));
    }
    for (const onnx::ValueInfoProto& input : p.input()) {
        readValueInfo(input, graph.inputs.emplace_back());
    }
    for (const onnx::ValueInfoProto& output : p.output()) {
        readValueInfo(output, graph.outputs.emplace_back());
    }
}

OnnxModel readModel(const onnx::ModelProto& p, const std::string& context) {
    if (!p.has_graph()) {
        throw IoError(context + ": the model has no graph");
    }
    OnnxModel model;
    model.irVersion = p.ir_version();
    model.producerName = p.producer_name();
    model.producerVersion = p.producer_version();
    for (const onnx::OperatorSetIdProto& opset : p.opset_import()) {
        model.opsetImports.push_back({opset.domain(), opset.version()});
    }
    readGraph(p.graph(), model.graph, context + " graph");
    return model;
}

/// Decodes the file at path into message, streaming it rather than holding its bytes.
void decodeFile(google::protobuf::MessageLite& message, const std::string& path,
                const std::string& context) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw IoError("cannot open '" + path + "': " + std::strerror(errno));
    }
    if (!message.ParseFromIstream(&file)) {
        if (file.bad()) {
            throw IoError("cannot read '" + path + "': " + std::strerror(errno));
        }
        throw IoError(context +
                      ": not a valid ONNX file (its protobuf encoding is corrupt, "
                      "truncated or over 2 GiB)");
    }
}

const char* attributeTypeName(int32_t type) {
    static const char* const names[] = {"UNDEFINED", "FLOAT",   "INT",    "STRING",
                                        "TENSOR",    "GRAPH",   "FLOATS", "INTS",
                                        "STRINGS",   "TENSORS", "GRAPHS"};
    return type >= 0 && type < static_cast<int32_t>(std::size(names)) ? names[type]
                                                                      : "another type";
}

/// The attribute, or null when absent; IoError when it holds another type than the op defines
/// (IR version 1 files carry no type and are taken at their word).
const OnnxAttribute* typedAttribute(const OnnxNode& node, const std::string& name, int32_t type) {
    const OnnxAttribute* a = node.attribute(name);
    if (a != nullptr && a->type != OnnxAttribute::Undefined && a->type != type) {
        throw IoError("attribute '" + name + "' of node '" + node.name + "' (" + node.opType +
                      ") is " + attributeTypeName(a->type) + ", expected " +
                      attributeTypeName(type));
    }
    return a;
}

}  // namespace

void decodeProtobuf(google::protobuf::MessageLite& message, std::string_view bytes,
                    const std::string& context) {
    if (bytes.size() > static_cast<size_t>(INT_MAX)) {
        throw IoError(context + ": " + std::to_string(bytes.size()) +
                      " bytes, more than the 2 GiB a protobuf message can hold");
    }
    if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        throw IoError(context +
                      ": not a valid ONNX file (its protobuf encoding is corrupt or "
                      "truncated)");
    }
}

OnnxModel parseOnnxModel(std::string_view bytes, const std::string& source) {
    onnx::ModelProto proto;
    const std::string context = "'" + source + "' ModelProto";
    decodeProtobuf(proto, bytes, context);
    return readModel(proto, context);
}

OnnxTensor readOnnxTensorFile(const std::string& path) {
    onnx::TensorProto proto;
    const std::string context = "'" + path + "' TensorProto";
    decodeFile(proto, path, context);
    return readOnnxTensor(proto, context);
}

OnnxModel readOnnxModelFile(const std::string& path) {
    onnx::ModelProto proto;
    const std::string context = "'" + path + "' ModelProto";
    decodeFile(proto, path, context);
    return readModel(proto, context);
}

const OnnxAttribute* OnnxNode::attribute(const std::string& attributeName) const {
    for (const OnnxAttribute& a : attributes) {
        if (a.name == attributeName) {
            return &a;
        }
    }
    return nullptr;
}

int64_t OnnxNode::getInt(const std::string& attributeName, int64_t def) const {
    const OnnxAttribute* a = typedAttribute(*this, attributeName, OnnxAttribute::Int);
    return a != nullptr ? a->i : def;
}

float OnnxNode::getFloat(const std::string& attributeName, float def) const {
    const OnnxAttribute* a = typedAttribute(*this, attributeName, OnnxAttribute::Float);
    return a != nullptr ? a->f : def;
}

std::string OnnxNode::getString(const std::string& attributeName, const std::string& def) const {
    const OnnxAttribute* a = typedAttribute(*this, attributeName, OnnxAttribute::String);
    return a != nullptr ? a->s : def;
}

std::vector<int64_t> OnnxNode::getInts(const std::string& attributeName,
                                       std::vector<int64_t> def) const {
    const OnnxAttribute* a = typedAttribute(*this, attributeName, OnnxAttribute::Ints);
    return a != nullptr ? a->ints : def;
}

const OnnxTensor* OnnxGraph::initializer(const std::string& tensorName) const {
    for (const OnnxTensor& t : initializers) {
        if (t.name == tensorName) {
            return &t;
        }
    }
    return nullptr;
}

int64_t OnnxModel::opsetVersion() const {
    for (const OnnxOpsetImport& opset : opsetImports) {
        if (opset.domain.empty() || opset.domain == "ai.onnx") {
            return opset.version;
        }
    }
    return 0;
}

}  // namespace loom
