#include <loom/Error.h>
#include <loom/OnnxModel.h>

#include "io/OnnxTensorReader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace loom {

namespace {

// Field numbers below are those of onnx/onnx.proto (IR version 8).

void readAttribute(ProtobufReader& reader, OnnxAttribute& a) {
    ProtobufField f;
    while (reader.next(f)) {
        switch (f.number) {
            case 1:
                a.name = reader.string(f);
                break;
            case 2:
                a.f = reader.float32(f);
                break;
            case 3:
                a.i = reader.int64(f);
                break;
            case 4:
                a.s = reader.string(f);
                break;
            case 5: {
                ProtobufReader nested = reader.nested(f, "t");
                a.t = std::make_shared<OnnxTensor>(readOnnxTensor(nested));
                break;
            }
            case 7:
                reader.appendFloats(f, a.floats);
                break;
            case 8:
                reader.appendInt64s(f, a.ints);
                break;
            case 9:
                a.strings.push_back(reader.string(f));
                break;
            case 20:
                a.type = reader.int32(f);
                break;
            default:
                break;  // sub-graphs, sparse tensors, doc_string: not needed by Loom
        }
    }
}

void readNode(ProtobufReader& reader, OnnxNode& node) {
    ProtobufField f;
    while (reader.next(f)) {
        switch (f.number) {
            case 1:
                node.inputs.push_back(reader.string(f));
                break;
            case 2:
                node.outputs.push_back(reader.string(f));
                break;
            case 3:
                node.name = reader.string(f);
                break;
            case 4:
                node.opType = reader.string(f);
                break;
            case 5: {
                ProtobufReader nested = reader.nested(f, "attribute");
                readAttribute(nested, node.attributes.emplace_back());
                break;
            }
            case 7:
                node.domain = reader.string(f);
                break;
            default:
                break;
        }
    }
}

/// TypeProto.Tensor: elem_type = 1, shape = 2 (TensorShapeProto: dim = 1, each a Dimension with
/// dim_value = 1 or dim_param = 2).
void readTensorType(ProtobufReader& reader, OnnxValueInfo& info) {
    ProtobufField f;
    while (reader.next(f)) {
        if (f.number == 1) {
            info.elemType = reader.int32(f);
        } else if (f.number == 2) {
            info.hasShape = true;
            ProtobufReader shape = reader.nested(f, "shape");
            ProtobufField d;
            while (shape.next(d)) {
                if (d.number != 1) {
                    continue;
                }
                ProtobufReader dim = shape.nested(d, "dim");
                int64_t value = -1;  // symbolic (dim_param) or absent
                ProtobufField v;
                while (dim.next(v)) {
                    if (v.number == 1) {
                        value = dim.int64(v);
                    }
                }
                info.dims.push_back(value);
            }
        }
    }
}

void readValueInfo(ProtobufReader& reader, OnnxValueInfo& info) {
    ProtobufField f;
    while (reader.next(f)) {
        if (f.number == 1) {
            info.name = reader.string(f);
        } else if (f.number == 2) {
            ProtobufReader type = reader.nested(f, "type");
            ProtobufField t;
            while (type.next(t)) {
                if (t.number == 1) {  // tensor_type; sequences and maps are not Loom's
                    ProtobufReader tensorType = type.nested(t, "tensor_type");
                    readTensorType(tensorType, info);
                }
            }
        }
    }
}

void readGraph(ProtobufReader& reader, OnnxGraph& graph) {
    ProtobufField f;
    while (reader.next(f)) {
        switch (f.number) {
            case 1: {
                ProtobufReader nested =
                    reader.nested(f, "node[" + std::to_string(graph.nodes.size()) + "]");
                readNode(nested, graph.nodes.emplace_back());
                break;
            }
            case 2:
                graph.name = reader.string(f);
                break;
            case 5: {
                ProtobufReader nested = reader.nested(
                    f, "initializer[" + std::to_string(graph.initializers.size()) + "]");
                graph.initializers.push_back(readOnnxTensor(nested));
                break;
            }
            case 11:
            case 12: {
                auto& list = f.number == 11 ? graph.inputs : graph.outputs;
                ProtobufReader nested = reader.nested(f, f.number == 11 ? "input" : "output");
                readValueInfo(nested, list.emplace_back());
                break;
            }
            default:
                break;
        }
    }
}

void readOpsetImport(ProtobufReader& reader, OnnxOpsetImport& opset) {
    ProtobufField f;
    while (reader.next(f)) {
        if (f.number == 1) {
            opset.domain = reader.string(f);
        } else if (f.number == 2) {
            opset.version = reader.int64(f);
        }
    }
}

std::string readFile(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
        throw IoError("cannot open '" + path + "': " + std::strerror(errno));
    }
    std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    if (file.bad()) {
        throw IoError("cannot read '" + path + "': " + std::strerror(errno));
    }
    return bytes;
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

OnnxModel parseOnnxModel(std::string_view bytes, const std::string& source) {
    ProtobufReader reader(bytes, "'" + source + "' ModelProto");
    OnnxModel model;
    bool hasGraph = false;
    ProtobufField f;
    while (reader.next(f)) {
        switch (f.number) {
            case 1:
                model.irVersion = reader.int64(f);
                break;
            case 2:
                model.producerName = reader.string(f);
                break;
            case 3:
                model.producerVersion = reader.string(f);
                break;
            case 7: {
                ProtobufReader nested = reader.nested(f, "graph");
                readGraph(nested, model.graph);
                hasGraph = true;
                break;
            }
            case 8: {
                ProtobufReader nested = reader.nested(f, "opset_import");
                readOpsetImport(nested, model.opsetImports.emplace_back());
                break;
            }
            default:
                break;
        }
    }
    if (!hasGraph) {
        throw IoError(reader.context() + ": the model has no graph");
    }
    return model;
}

OnnxTensor readOnnxTensorFile(const std::string& path) {
    return parseOnnxTensor(readFile(path), path);
}

OnnxModel readOnnxModelFile(const std::string& path) {
    return parseOnnxModel(readFile(path), path);
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
