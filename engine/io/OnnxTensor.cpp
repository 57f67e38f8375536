#include <loom/Error.h>
#include <loom/OnnxModel.h>

#include "io/OnnxTensorReader.h"

#include <cstring>
#include <iterator>
#include <limits>

namespace loom {

namespace {

// Field numbers from onnx/onnx.proto (IR version 8).
namespace tensor_field {
constexpr uint32_t dims = 1, dataType = 2, segment = 3, floatData = 4, int32Data = 5,
                   stringData = 6, int64Data = 7, name = 8, rawData = 9, doubleData = 10,
                   uint64Data = 11, externalData = 13, dataLocation = 14;
}

constexpr int32_t kExternalLocation = 1;

/// A message whose bytes decode but whose contents contradict each other.
[[noreturn]] void corrupt(const ProtobufReader& reader, const std::string& what) {
    throw IoError(reader.context() + ": " + what);
}

/// A TensorProto's fields before conversion; views point into the file's bytes.
struct TensorFields {
    std::vector<int64_t> dims;
    int32_t dataType = 0;
    std::string name;
    std::vector<float> floats;
    std::vector<int64_t> ints;  ///< int32_data, int64_data or uint64_data, whichever is used
    std::vector<double> doubles;
    std::string_view raw;
    bool hasRaw = false;
    bool external = false;
    bool segmented = false;
};

TensorFields readTensorFields(ProtobufReader& reader) {
    TensorFields t;
    ProtobufField f;
    while (reader.next(f)) {
        switch (f.number) {
            case tensor_field::dims:
                reader.appendInt64s(f, t.dims);
                break;
            case tensor_field::dataType:
                t.dataType = reader.int32(f);
                break;
            case tensor_field::segment:
                t.segmented = true;
                break;
            case tensor_field::floatData:
                reader.appendFloats(f, t.floats);
                break;
            case tensor_field::int32Data:
            case tensor_field::int64Data:
            case tensor_field::uint64Data:
                reader.appendInt64s(f, t.ints);
                break;
            case tensor_field::name:
                t.name = reader.string(f);
                break;
            case tensor_field::rawData:
                t.raw = f.bytes;
                t.hasRaw = f.wireType == WireType::LengthDelimited;
                if (!t.hasRaw) {
                    reader.string(f);  // throws: raw_data must be bytes
                }
                break;
            case tensor_field::doubleData:
                reader.appendDoubles(f, t.doubles);
                break;
            case tensor_field::externalData:
                t.external = true;
                break;
            case tensor_field::dataLocation:
                t.external = t.external || reader.int32(f) == kExternalLocation;
                break;
            default:
                break;  // string_data, doc_string and fields from later IR versions
        }
    }
    return t;
}

/// Bytes per element in raw_data for the types Loom converts; 0 for the others.
size_t rawElementSize(int32_t type) {
    switch (static_cast<OnnxDataType>(type)) {
        case OnnxDataType::Float:
        case OnnxDataType::Int32:
            return 4;
        case OnnxDataType::Double:
        case OnnxDataType::Int64:
            return 8;
        case OnnxDataType::Int16:
        case OnnxDataType::UInt16:
            return 2;
        case OnnxDataType::Int8:
        case OnnxDataType::UInt8:
        case OnnxDataType::Bool:
            return 1;
        default:
            return 0;
    }
}

float rawElement(const char* p, int32_t type) {
    switch (static_cast<OnnxDataType>(type)) {
        case OnnxDataType::Float: {
            float v;
            std::memcpy(&v, p, 4);
            return v;
        }
        case OnnxDataType::Double: {
            double v;
            std::memcpy(&v, p, 8);
            return static_cast<float>(v);
        }
        case OnnxDataType::Int64: {
            int64_t v;
            std::memcpy(&v, p, 8);
            return static_cast<float>(v);
        }
        case OnnxDataType::Int32: {
            int32_t v;
            std::memcpy(&v, p, 4);
            return static_cast<float>(v);
        }
        case OnnxDataType::Int16: {
            int16_t v;
            std::memcpy(&v, p, 2);
            return static_cast<float>(v);
        }
        case OnnxDataType::UInt16: {
            uint16_t v;
            std::memcpy(&v, p, 2);
            return static_cast<float>(v);
        }
        case OnnxDataType::Int8:
            return static_cast<float>(static_cast<int8_t>(*p));
        default:  // UInt8, Bool
            return static_cast<float>(static_cast<uint8_t>(*p));
    }
}

/// The typed-field values of t as floats (int32_data holds every narrow integer type).
std::vector<float> typedValues(const TensorFields& t) {
    std::vector<float> out;
    switch (static_cast<OnnxDataType>(t.dataType)) {
        case OnnxDataType::Float:
            return t.floats;
        case OnnxDataType::Double:
            out.assign(t.doubles.begin(), t.doubles.end());
            return out;
        case OnnxDataType::Int64:
            out.reserve(t.ints.size());
            for (int64_t v : t.ints) {
                out.push_back(static_cast<float>(v));
            }
            return out;
        default:
            out.reserve(t.ints.size());
            for (int64_t v : t.ints) {
                // int32_data carries each value as a sign-extended int32.
                out.push_back(static_cast<float>(static_cast<int32_t>(v)));
            }
            return out;
    }
}

/// Number of elements of dims, or a failure for negative or overflowing dims.
int64_t elementCount(const ProtobufReader& reader, const TensorFields& t) {
    // Bounded so that count * 8 bytes cannot overflow either.
    constexpr int64_t kLimit = std::numeric_limits<int64_t>::max() / 16;
    int64_t count = 1;
    for (int64_t d : t.dims) {
        if (d < 0) {
            corrupt(reader, "tensor '" + t.name + "' has negative dimension " + std::to_string(d));
        }
        if (d != 0 && count > kLimit / d) {
            corrupt(reader, "tensor '" + t.name + "' has dimensions too large to address");
        }
        count *= d;
    }
    return count;
}

std::vector<float> convertedValues(const ProtobufReader& reader, const TensorFields& t,
                                   int64_t count) {
    const std::string what = "tensor '" + t.name + "' (" + onnxDataTypeName(t.dataType) + ")";
    if (t.hasRaw) {
        const size_t size = rawElementSize(t.dataType);
        if (t.raw.size() != static_cast<size_t>(count) * size) {
            corrupt(reader, what + " raw_data holds " + std::to_string(t.raw.size()) +
                                " bytes but its dims need " + std::to_string(count * size));
        }
        std::vector<float> out(static_cast<size_t>(count));
        for (size_t i = 0; i < out.size(); ++i) {
            out[i] = rawElement(t.raw.data() + i * size, t.dataType);
        }
        return out;
    }
    std::vector<float> out = typedValues(t);
    if (static_cast<int64_t>(out.size()) != count) {
        corrupt(reader, what + " holds " + std::to_string(out.size()) +
                            " values but its dims need " + std::to_string(count));
    }
    return out;
}

}  // namespace

OnnxTensor readOnnxTensor(ProtobufReader& reader) {
    const TensorFields t = readTensorFields(reader);
    OnnxTensor tensor;
    tensor.name = t.name;
    tensor.dataType = t.dataType;
    tensor.dims = t.dims;
    const int64_t count = elementCount(reader, t);
    const std::string what = "tensor '" + t.name + "'";
    if (t.external) {
        tensor.setUnsupported(what +
                              " keeps its data in an external file, which Loom does not read");
    } else if (t.segmented) {
        tensor.setUnsupported(what + " is split into segments, which Loom does not read");
    } else if (rawElementSize(t.dataType) == 0) {
        tensor.setUnsupported(what + " has data type " + onnxDataTypeName(t.dataType) +
                              ", which Loom does not read (it reads FLOAT, DOUBLE, INT64, INT32, "
                              "INT16, INT8, UINT16, UINT8 and BOOL)");
    } else {
        std::vector<float> values = convertedValues(reader, t, count);
        // A zero-element tensor (a dim of 0) has no values to copy.
        tensor.setValue(values.empty() ? Tensor::empty(Shape(t.dims))
                                       : Tensor::fromVector(Shape(t.dims), values));
    }
    return tensor;
}

std::string onnxDataTypeName(int32_t type) {
    static const char* const names[] = {"UNDEFINED",  "FLOAT",   "UINT8",  "INT8",   "UINT16",
                                        "INT16",      "INT32",   "INT64",  "STRING", "BOOL",
                                        "FLOAT16",    "DOUBLE",  "UINT32", "UINT64", "COMPLEX64",
                                        "COMPLEX128", "BFLOAT16"};
    if (type >= 0 && type < static_cast<int32_t>(std::size(names))) {
        return names[type];
    }
    return "type " + std::to_string(type);
}

const Tensor& OnnxTensor::value() const {
    if (!m_value.defined()) {
        throw IoError(m_unsupported.empty() ? "tensor '" + name + "' has no value" : m_unsupported);
    }
    return m_value;
}

OnnxTensor parseOnnxTensor(std::string_view bytes, const std::string& source) {
    ProtobufReader reader(bytes, "'" + source + "' TensorProto");
    return readOnnxTensor(reader);
}

}  // namespace loom
