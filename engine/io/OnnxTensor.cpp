#include <loom/Error.h>
#include <loom/OnnxModel.h>

#include "io/OnnxProto.h"

#include <cstring>
#include <iterator>
#include <limits>

namespace loom {

namespace {

/// A message that decodes but whose contents contradict each other.
[[noreturn]] void corrupt(const std::string& context, const std::string& what) {
    throw IoError(context + ": " + what);
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

/// The repeated field that holds t's values when it has no raw_data (int32_data holds every
/// narrow integer type), seen through f.
template <typename F>
auto withTypedField(const onnx::TensorProto& t, F f) {
    switch (static_cast<OnnxDataType>(t.data_type())) {
        case OnnxDataType::Float:
            return f(t.float_data());
        case OnnxDataType::Double:
            return f(t.double_data());
        case OnnxDataType::Int64:
            return f(t.int64_data());
        default:
            return f(t.int32_data());
    }
}

/// Number of elements of dims, or a failure for negative or overflowing dims.
int64_t elementCount(const std::string& context, const onnx::TensorProto& t) {
    // Bounded so that count * 8 bytes cannot overflow either.
    constexpr int64_t kLimit = std::numeric_limits<int64_t>::max() / 16;
    int64_t count = 1;
    for (int64_t d : t.dims()) {
        if (d < 0) {
            corrupt(context,
                    "tensor '" + t.name() + "' has negative dimension " + std::to_string(d));
        }
        if (d != 0 && count > kLimit / d) {
            corrupt(context, "tensor '" + t.name() + "' has dimensions too large to address");
        }
        count *= d;
    }
    return count;
}

/// Fails unless t holds exactly count values, before anything is allocated for them.
void checkValueCount(const std::string& context, const onnx::TensorProto& t, int64_t count) {
    const std::string what = "tensor '" + t.name() + "' (" + onnxDataTypeName(t.data_type()) + ")";
    if (t.has_raw_data()) {
        const size_t size = rawElementSize(t.data_type());
        if (t.raw_data().size() != static_cast<size_t>(count) * size) {
            corrupt(context, what + " raw_data holds " + std::to_string(t.raw_data().size()) +
                                 " bytes but its dims need " + std::to_string(count * size));
        }
        return;
    }
    const auto held = withTypedField(t, [](const auto& field) { return field.size(); });
    if (held != count) {
        corrupt(context, what + " holds " + std::to_string(held) + " values but its dims need " +
                             std::to_string(count));
    }
}

/// t's values as a float32 tensor of its dims.
Tensor convertedValues(const std::string& context, const onnx::TensorProto& t, int64_t count) {
    checkValueCount(context, t, count);
    Tensor value = Tensor::empty(Shape(std::vector<int64_t>(t.dims().begin(), t.dims().end())));
    if (count == 0) {
        return value;
    }
    float* out = value.data<float>();
    if (!t.has_raw_data()) {
        withTypedField(t, [out](const auto& field) {
            for (int i = 0; i < field.size(); ++i) {
                // int32_data carries each narrow integer as a sign-extended int32.
                out[i] = static_cast<float>(field.Get(i));
            }
            return 0;
        });
    } else if (t.data_type() == static_cast<int32_t>(OnnxDataType::Float)) {
        std::memcpy(out, t.raw_data().data(), t.raw_data().size());
    } else {
        const size_t size = rawElementSize(t.data_type());
        for (int64_t i = 0; i < count; ++i) {
            out[i] = rawElement(t.raw_data().data() + static_cast<size_t>(i) * size, t.data_type());
        }
    }
    return value;
}

}  // namespace

OnnxTensor readOnnxTensor(const onnx::TensorProto& t, const std::string& context) {
    OnnxTensor tensor;
    tensor.name = t.name();
    tensor.dataType = t.data_type();
    tensor.dims.assign(t.dims().begin(), t.dims().end());
    const int64_t count = elementCount(context, t);
    const std::string what = context + ": tensor '" + t.name() + "'";
    if (t.external_data_size() > 0 || t.data_location() == onnx::TensorProto::EXTERNAL) {
        tensor.setUnsupported(what +
                              " keeps its data in an external file, which Loom does not read");
    } else if (t.has_segment()) {
        tensor.setUnsupported(what + " is split into segments, which Loom does not read");
    } else if (rawElementSize(t.data_type()) == 0) {
        tensor.setUnsupported(what + " has data type " + onnxDataTypeName(t.data_type()) +
                              ", which Loom does not read (it reads FLOAT, DOUBLE, INT64, INT32, "
                              "INT16, INT8, UINT16, UINT8 and BOOL)");
    } else {
        tensor.setValue(convertedValues(context, t, count));
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
    onnx::TensorProto proto;
    const std::string context = "'" + source + "' TensorProto";
    decodeProtobuf(proto, bytes, context);
    return readOnnxTensor(proto, context);
}

}  // namespace loom
