#pragma once
/// ProtobufReader: a small, bounds-checked reader of the protobuf wire format, enough to decode
/// ONNX files without linking libprotobuf. It walks one message's fields in order; every read
/// is checked against the buffer, and a truncated or hostile buffer throws loom::IoError naming
/// the source, the message and the byte offset. It never allocates more than the buffer
/// justifies: repeated fields grow by at most one element per encoded element.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace loom {

enum class WireType : uint8_t {
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    Fixed32 = 5,
};

/// One decoded field: its number, its wire type and its payload.
struct ProtobufField {
    uint32_t number = 0;
    WireType wireType = WireType::Varint;
    uint64_t value = 0;      ///< the varint, or the bits of a fixed32 / fixed64
    std::string_view bytes;  ///< the payload of a length-delimited field
    size_t offset = 0;       ///< where the payload starts, from the start of the file
};

class ProtobufReader {
public:
    /// buffer: one message's bytes. context names it in errors ("'x.onnx' ModelProto");
    /// baseOffset is where buffer starts in the file, so offsets in errors are file offsets.
    ProtobufReader(std::string_view buffer, std::string context, size_t baseOffset = 0);

    /// Reads the next field into field; false at the end of the message.
    bool next(ProtobufField& field);

    /// A reader of a length-delimited field holding a nested message called name.
    ProtobufReader nested(const ProtobufField& field, const std::string& name) const;

    // Typed values of a singular field; each checks the wire type.
    uint64_t uint64(const ProtobufField& field) const;
    int64_t int64(const ProtobufField& field) const;
    int32_t int32(const ProtobufField& field) const;
    float float32(const ProtobufField& field) const;
    double float64(const ProtobufField& field) const;
    std::string string(const ProtobufField& field) const;

    // Repeated scalar fields, packed (one length-delimited field) or not (one field each).
    void appendInt64s(const ProtobufField& field, std::vector<int64_t>& out) const;
    void appendFloats(const ProtobufField& field, std::vector<float>& out) const;
    void appendDoubles(const ProtobufField& field, std::vector<double>& out) const;

    const std::string& context() const { return m_context; }
    /// Throws IoError: "<context>: <what> at byte <offset>".
    [[noreturn]] void fail(const std::string& what, size_t offset) const;

private:
    uint64_t readVarint(std::string_view data, size_t& pos, size_t base) const;
    uint64_t readFixed(std::string_view data, size_t& pos, size_t base, size_t width) const;
    void expect(const ProtobufField& field, WireType type) const;

    std::string_view m_buffer;
    std::string m_context;
    size_t m_base;
    size_t m_pos = 0;
};

const char* wireTypeName(WireType type);

}  // namespace loom
