#pragma once
/// ONNX files read into plain structs: ModelProto, GraphProto, NodeProto, AttributeProto,
/// ValueInfoProto and TensorProto, decoded by Loom's own bounds-checked protobuf reader (no
/// libprotobuf). Only what Loom needs is kept; unknown fields are skipped. A truncated or corrupt
/// file throws IoError naming the file, the message and the byte offset; nothing is allocated
/// beyond what the bytes in the file justify. The same structs encode back to a file
/// (serializeOnnxModel), which ONNX export builds on; import and the conformance tests build on
/// the reading half.

#include <loom/Tensor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

/// TensorProto.DataType.
enum class OnnxDataType : int32_t {
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
};

/// "FLOAT", "INT64", ...; "type 42" for a value outside the enum.
std::string onnxDataTypeName(int32_t type);

/// A TensorProto. Numeric types Loom reads (FLOAT, DOUBLE, INT64, INT32, INT16, INT8, UINT16,
/// UINT8, BOOL) are converted to a float32 host tensor with the same dims; other types keep
/// their header and say why they have no value.
class OnnxTensor {
public:
    std::string name;
    int32_t dataType = 0;
    std::vector<int64_t> dims;

    bool hasValue() const { return m_value.defined(); }
    /// The values as float32 with shape dims; throws IoError naming the tensor and its type
    /// when the type is one Loom does not read.
    const Tensor& value() const;

    /// Used by the decoder.
    void setValue(Tensor value) { m_value = std::move(value); }
    void setUnsupported(std::string reason) { m_unsupported = std::move(reason); }

private:
    Tensor m_value;
    std::string m_unsupported;
};

/// An AttributeProto. type is AttributeProto.AttributeType (FLOAT 1, INT 2, STRING 3,
/// TENSOR 4, GRAPH 5, FLOATS 6, INTS 7, STRINGS 8, ...).
struct OnnxAttribute {
    enum Type : int32_t {
        Undefined = 0,
        Float = 1,
        Int = 2,
        String = 3,
        TensorValue = 4,
        Graph = 5,
        Floats = 6,
        Ints = 7,
        Strings = 8,
        Tensors = 9,
        Graphs = 10,
    };

    std::string name;
    int32_t type = Undefined;
    float f = 0;
    int64_t i = 0;
    std::string s;
    std::shared_ptr<OnnxTensor> t;
    std::vector<float> floats;
    std::vector<int64_t> ints;
    std::vector<std::string> strings;
};

/// A NodeProto. The get* helpers return an attribute's value, or def when the node does not
/// set it; an attribute of another type than asked for throws IoError naming node and attribute.
struct OnnxNode {
    std::string name;
    std::string opType;
    std::string domain;
    std::vector<std::string> inputs;  ///< "" marks an omitted optional input
    std::vector<std::string> outputs;
    std::vector<OnnxAttribute> attributes;

    const OnnxAttribute* attribute(const std::string& name) const;
    bool has(const std::string& name) const { return attribute(name) != nullptr; }
    int64_t getInt(const std::string& name, int64_t def) const;
    float getFloat(const std::string& name, float def) const;
    std::string getString(const std::string& name, const std::string& def) const;
    std::vector<int64_t> getInts(const std::string& name, std::vector<int64_t> def) const;
};

/// A ValueInfoProto of tensor type: name, element type and shape (-1 for a symbolic or
/// missing dimension; hasShape false when no shape is given at all).
struct OnnxValueInfo {
    std::string name;
    int32_t elemType = 0;
    bool hasShape = false;
    std::vector<int64_t> dims;
};

/// A GraphProto.
struct OnnxGraph {
    std::string name;
    std::vector<OnnxNode> nodes;
    std::vector<OnnxTensor> initializers;
    std::vector<OnnxValueInfo> inputs;  ///< may include initializers (before IR version 4)
    std::vector<OnnxValueInfo> outputs;

    const OnnxTensor* initializer(const std::string& name) const;
};

struct OnnxOpsetImport {
    std::string domain;  ///< "" (or "ai.onnx") is the default operator set
    int64_t version = 0;
};

/// A ModelProto.
struct OnnxModel {
    int64_t irVersion = 0;
    std::string producerName;
    std::string producerVersion;
    std::vector<OnnxOpsetImport> opsetImports;
    OnnxGraph graph;

    /// The version of the default ONNX operator set the model imports (0 when none).
    int64_t opsetVersion() const;
};

/// Decode a serialised TensorProto / ModelProto. source names the bytes in error messages.
OnnxTensor parseOnnxTensor(std::string_view bytes, const std::string& source);
OnnxModel parseOnnxModel(std::string_view bytes, const std::string& source);

/// Encode a ModelProto: the inverse of parseOnnxModel for what these structs hold. Tensors are
/// written as raw_data, FLOAT tensors from their values and INT64 tensors from their values
/// (which must be whole numbers). A -1 dimension of a value info is written as the symbolic
/// batch dimension "N" when it is the first, else as an unknown dimension. IoError for a tensor
/// of another type or without a value, an attribute without a type, or a model past protobuf's
/// 2 GiB limit.
std::string serializeOnnxModel(const OnnxModel& model);

/// Read and decode a file (a .pb TensorProto, a .onnx ModelProto); IoError when it cannot be
/// read or is corrupt.
OnnxTensor readOnnxTensorFile(const std::string& path);
OnnxModel readOnnxModelFile(const std::string& path);

}  // namespace loom
