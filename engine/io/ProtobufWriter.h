#pragma once
/// ProtobufWriter: the writing half of Loom's protobuf support, enough to encode ONNX files
/// without linking libprotobuf. Fields are appended in the order they are written; a nested
/// message is written by filling a writer of its own and appending its bytes. Repeated scalars
/// are written packed, which every protobuf reader (Loom's included) accepts for them.

#include "io/ProtobufReader.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

class ProtobufWriter {
public:
    /// int32, int64, uint64, bool and enum fields: a varint of the two's complement value, as
    /// protobuf encodes them (a negative int32 takes ten bytes).
    void writeVarint(uint32_t field, uint64_t value);
    void writeInt64(uint32_t field, int64_t value) {
        writeVarint(field, static_cast<uint64_t>(value));
    }
    void writeFixed32(uint32_t field, uint32_t bits);
    void writeFloat(uint32_t field, float value);
    /// string, bytes and nested-message fields.
    void writeBytes(uint32_t field, std::string_view bytes);
    void writeMessage(uint32_t field, const ProtobufWriter& message) {
        writeBytes(field, message.bytes());
    }
    /// Repeated int32 / int64 fields as one packed field; nothing for an empty list.
    void writePackedInt64s(uint32_t field, const std::vector<int64_t>& values);
    /// Repeated float fields as one packed field; nothing for an empty list.
    void writePackedFloats(uint32_t field, const std::vector<float>& values);

    const std::string& bytes() const { return m_bytes; }

private:
    void writeKey(uint32_t field, WireType type);
    void appendVarint(uint64_t value);
    void appendLittleEndian(uint64_t bits, size_t width);

    std::string m_bytes;
};

}  // namespace loom
