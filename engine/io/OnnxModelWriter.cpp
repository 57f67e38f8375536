// The OnnxModel structs encoded as a ModelProto (the writing half of OnnxModel.h).

#include <loom/Error.h>
#include <loom/OnnxModel.h>

#include "io/ProtobufWriter.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace loom {

namespace {

static_assert(std::endian::native == std::endian::little,
              "raw_data is little-endian; this writer copies host floats as they are");

// Field numbers below are those of onnx/onnx.proto (IR version 8), as OnnxModel.cpp reads them.

std::string rawData(const OnnxTensor& t) {
    const Tensor host = t.value().to(DType::F32);
    const auto* values = host.data<float>();
    const auto count = static_cast<size_t>(host.numel());
    std::string raw;
    if (t.dataType == static_cast<int32_t>(OnnxDataType::Float)) {
        raw.resize(count * sizeof(float));
        std::memcpy(raw.data(), values, raw.size());
        return raw;
    }
    if (t.dataType != static_cast<int32_t>(OnnxDataType::Int64)) {
        throw IoError("tensor '" + t.name + "' has data type " + onnxDataTypeName(t.dataType) +
                      "; Loom writes FLOAT and INT64 tensors only");
    }
    raw.resize(count * sizeof(int64_t));
    for (size_t i = 0; i < count; ++i) {
        const float v = values[i];
        if (v != std::trunc(v) || std::abs(v) > 0x1p62f) {
            throw IoError("tensor '" + t.name + "' (INT64) holds " + std::to_string(v) +
                          ", which is not a whole number");
        }
        const auto whole = static_cast<int64_t>(v);
        std::memcpy(raw.data() + i * sizeof whole, &whole, sizeof whole);
    }
    return raw;
}

ProtobufWriter tensorMessage(const OnnxTensor& t) {
    ProtobufWriter w;
    w.writePackedInt64s(1, t.dims);
    w.writeVarint(2, static_cast<uint64_t>(t.dataType));
    w.writeBytes(8, t.name);
    w.writeBytes(9, rawData(t));
    return w;
}

ProtobufWriter attributeMessage(const OnnxAttribute& a) {
    ProtobufWriter w;
    w.writeBytes(1, a.name);
    switch (a.type) {
        case OnnxAttribute::Float:
            w.writeFloat(2, a.f);
            break;
        case OnnxAttribute::Int:
            w.writeInt64(3, a.i);
            break;
        case OnnxAttribute::String:
            w.writeBytes(4, a.s);
            break;
        case OnnxAttribute::TensorValue:
            if (a.t == nullptr) {
                throw IoError("tensor attribute '" + a.name + "' has no tensor");
            }
            w.writeMessage(5, tensorMessage(*a.t));
            break;
        case OnnxAttribute::Floats:
            w.writePackedFloats(7, a.floats);
            break;
        case OnnxAttribute::Ints:
            w.writePackedInt64s(8, a.ints);
            break;
        case OnnxAttribute::Strings:
            for (const std::string& s : a.strings) {
                w.writeBytes(9, s);
            }
            break;
        default:
            throw IoError("attribute '" + a.name + "' has type " + std::to_string(a.type) +
                          ", which Loom does not write");
    }
    w.writeVarint(20, static_cast<uint64_t>(a.type));
    return w;
}

ProtobufWriter nodeMessage(const OnnxNode& node) {
    ProtobufWriter w;
    for (const std::string& input : node.inputs) {
        w.writeBytes(1, input);
    }
    for (const std::string& output : node.outputs) {
        w.writeBytes(2, output);
    }
    w.writeBytes(3, node.name);
    w.writeBytes(4, node.opType);
    for (const OnnxAttribute& a : node.attributes) {
        w.writeMessage(5, attributeMessage(a));
    }
    if (!node.domain.empty()) {
        w.writeBytes(7, node.domain);
    }
    return w;
}

/// ValueInfoProto > TypeProto > TypeProto.Tensor > TensorShapeProto > Dimension.
ProtobufWriter valueInfoMessage(const OnnxValueInfo& info) {
    ProtobufWriter tensorType;
    tensorType.writeVarint(1, static_cast<uint64_t>(info.elemType));
    if (info.hasShape) {
        ProtobufWriter shape;
        for (size_t i = 0; i < info.dims.size(); ++i) {
            ProtobufWriter dim;
            if (info.dims[i] >= 0) {
                dim.writeInt64(1, info.dims[i]);
            } else if (i == 0) {
                dim.writeBytes(2, "N");
            }
            shape.writeMessage(1, dim);
        }
        tensorType.writeMessage(2, shape);
    }
    ProtobufWriter type;
    type.writeMessage(1, tensorType);
    ProtobufWriter w;
    w.writeBytes(1, info.name);
    w.writeMessage(2, type);
    return w;
}

ProtobufWriter graphMessage(const OnnxGraph& graph) {
    ProtobufWriter w;
    for (const OnnxNode& node : graph.nodes) {
        w.writeMessage(1, nodeMessage(node));
    }
    w.writeBytes(2, graph.name);
    for (const OnnxTensor& t : graph.initializers) {
        w.writeMessage(5, tensorMessage(t));
    }
    for (const OnnxValueInfo& input : graph.inputs) {
        w.writeMessage(11, valueInfoMessage(input));
    }
    for (const OnnxValueInfo& output : graph.outputs) {
        w.writeMessage(12, valueInfoMessage(output));
    }
    return w;
}

}  // namespace

std::string serializeOnnxModel(const OnnxModel& model) {
    ProtobufWriter w;
    w.writeInt64(1, model.irVersion);
    w.writeBytes(2, model.producerName);
    w.writeBytes(3, model.producerVersion);
    w.writeMessage(7, graphMessage(model.graph));
    for (const OnnxOpsetImport& opset : model.opsetImports) {
        ProtobufWriter o;
        o.writeBytes(1, opset.domain);
        o.writeInt64(2, opset.version);
        w.writeMessage(8, o);
    }
    // Protobuf's sizes are signed 32-bit: no reader takes a larger message.
    if (w.bytes().size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
        throw IoError("the model takes " + std::to_string(w.bytes().size()) +
                      " bytes, more than the 2 GiB a protobuf file can hold");
    }
    return w.bytes();
}

}  // namespace loom
