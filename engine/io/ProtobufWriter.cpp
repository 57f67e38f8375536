#include "io/ProtobufWriter.h"

#include <bit>

namespace loom {

void ProtobufWriter::appendVarint(uint64_t value) {
    while (value >= 0x80) {
        m_bytes.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    m_bytes.push_back(static_cast<char>(value));
}

void ProtobufWriter::appendLittleEndian(uint64_t bits, size_t width) {
    // The wire format is little-endian whatever the host is.
    for (size_t i = 0; i < width; ++i) {
        m_bytes.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
    }
}

void ProtobufWriter::writeKey(uint32_t field, WireType type) {
    appendVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type));
}

void ProtobufWriter::writeVarint(uint32_t field, uint64_t value) {
    writeKey(field, WireType::Varint);
    appendVarint(value);
}

void ProtobufWriter::writeFixed32(uint32_t field, uint32_t bits) {
    writeKey(field, WireType::Fixed32);
    appendLittleEndian(bits, 4);
}

void ProtobufWriter::writeFloat(uint32_t field, float value) {
    writeFixed32(field, std::bit_cast<uint32_t>(value));
}

void ProtobufWriter::writeBytes(uint32_t field, std::string_view bytes) {
    writeKey(field, WireType::LengthDelimited);
    appendVarint(bytes.size());
    m_bytes.append(bytes);
}

void ProtobufWriter::writePackedInt64s(uint32_t field, const std::vector<int64_t>& values) {
    if (values.empty()) {
        return;
    }
    ProtobufWriter packed;
    for (int64_t v : values) {
        packed.appendVarint(static_cast<uint64_t>(v));
    }
    writeBytes(field, packed.bytes());
}

void ProtobufWriter::writePackedFloats(uint32_t field, const std::vector<float>& values) {
    if (values.empty()) {
        return;
    }
    ProtobufWriter packed;
    for (float v : values) {
        packed.appendLittleEndian(std::bit_cast<uint32_t>(v), 4);
    }
    writeBytes(field, packed.bytes());
}

}  // namespace loom
