// The OnnxModel structs encoded as a ModelProto (the writing half of OnnxModel.h).

#include <loom/Error.h>
#include <loom/OnnxModel.h>

#include "io/OnnxProto.h"

#include <bit>
#include <climits>
#include <cmath>
#include <cstring>

namespace loom {

namespace {

static_assert(std::endian::native == std::endian::little,
              "raw_data is little-endian; this writer copies host floats as they are");

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

void writeTensor(const OnnxTensor& t, onnx::TensorProto& p) {
    p.mutable_dims()->Add(t.dims.begin(), t.dims.end());
    p.set_data_type(t.dataType);
    p.set_name(t.name);
    p.set_raw_data(rawData(t));
}

void writeAttribute(const OnnxAttribute& a, onnx::AttributeProto& p) {
    p.set_name(a.name);
    switch (a.type) {
        case OnnxAttribute::Float:
            p.set_f(a.f);
            break;
        case OnnxAttribute::Int:
            p.set_i(a.i);
            break;
        case OnnxAttribute::String:
            p.set_s(a.s);
            break;
        case OnnxAttribute::TensorValue:
            if (a.t == nullptr) {
                throw IoError("tensor attribute '" + a.name + "' has no tensor");
            }
            writeTensor(*a.t, *p.mutable_t());
            break;
        case OnnxAttribute::Floats:
            p.mutable_floats()->Add(a.floats.begin(), a.floats.end());
            break;
        case OnnxAttribute::Ints:
            p.mutable_ints()->Add(a.ints.begin(), a.ints.end());
            break;
        case OnnxAttribute::Strings:
            p.mutable_strings()->Add(a.strings.begin(), a.strings.end());
            break;
        default:
            throw IoError("attribute '" + a.name + "' has type " + std::to_string(a.type) +
                          ", which Loom does not write");
    }
    p.set_type(static_cast<onnx::AttributeProto::AttributeType>(a.type));
}

void writeNode(const OnnxNode& node, onnx::NodeProto& p) {
    p.mutable_input()->Add(node.inputs.begin(), node.inputs.end());
    p.mutable_output()->Add(node.outputs.begin(), node.outputs.end());
    p.set_name(node.name);
    p.set_op_type(node.opType);
    for (const OnnxAttribute& a : node.attributes) {
        writeAttribute(a, *p.add_attribute());
    }
    if (!node.domain.empty()) {
        p.set_domain(node.domain);
    }
}

void writeValueInfo(const OnnxValueInfo& info, onnx::ValueInfoProto& p) {
    p.set_name(info.name);
    onnx::TypeProto::Tensor& type = *p.mutable_type()->mutable_tensor_type();
    type.set_elem_type(info.elemType);
    if (!info.hasShape) {
        return;
    }
    onnx::TensorShapeProto& shape = *type.mutable_shape();
    for (size_t i = 0; i < info.dims.size(); ++i) {
        onnx::TensorShapeProto::Dimension& dim = *shape.add_dim();
        if (info.dims[i] >= 0) {
            dim.set_dim_value(info.dims[i]);
        } else if (i == 0) {
            dim.set_dim_param("N");
        }
    }
}

void writeGraph(const OnnxGraph& graph, onnx::GraphProto& p) {
    for (const OnnxNode& node : graph.nodes) {
        writeNode(node, *p.add_node());
    }
    p.set_name(graph.name);
    for (const OnnxTensor& t : graph.initializers) {
        writeTensor(t, *p.add_initializer());
    }
    for (const OnnxValueInfo& input : graph.inputs) {
        writeValueInfo(input, *p.add_input());
    }
    for (const OnnxValueInfo& output : graph.outputs) {
        writeValueInfo(output, *p.add_output());
    }
}

}  // namespace

std::string serializeOnnxModel(const OnnxModel& model) {
    onnx::ModelProto p;
    p.set_ir_version(model.irVersion);
    p.set_producer_name(model.producerName);
    p.set_producer_version(model.producerVersion);
    writeGraph(model.graph, *p.mutable_graph());
    for (const OnnxOpsetImport& opset : model.opsetImports) {
        onnx::OperatorSetIdProto& o = *p.add_opset_import();
        o.set_domain(opset.domain);
        o.set_version(opset.version);
    }
    // Protobuf's sizes are signed 32-bit: no reader takes a larger message.
    const size_t size = p.ByteSizeLong();
    if (size > static_cast<size_t>(INT_MAX)) {
        throw IoError("the model takes " + std::to_string(size) +
                      " bytes, more than the 2 GiB a protobuf file can hold");
    }
    return p.SerializeAsString();
}

}  // namespace loom
