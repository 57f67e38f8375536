#include "io/ProtobufReader.h"

#include <loom/Error.h>

#include <algorithm>
#include <cstring>

namespace loom {

namespace {

// Field numbers are 29 bits; 0 is reserved and never valid on the wire.
constexpr uint64_t kMaxFieldNumber = (uint64_t{1} << 29) - 1;

}  // namespace

const char* wireTypeName(WireType type) {
    switch (type) {
        case WireType::Varint:
            return "varint";
        case WireType::Fixed64:
            return "64-bit";
        case WireType::LengthDelimited:
            return "length-delimited";
        case WireType::Fixed32:
            return "32-bit";
    }
    return "unknown";
}

ProtobufReader::ProtobufReader(std::string_view buffer, std::string context, size_t baseOffset)
    : m_buffer(buffer), m_context(std::move(context)), m_base(baseOffset) {}

void ProtobufReader::fail(const std::string& what, size_t offset) const {
    throw IoError(m_context + ": " + what + " at byte " + std::to_string(offset) +
                  " (the file is truncated or is not this kind of protobuf message)");
}

uint64_t ProtobufReader::readVarint(std::string_view data, size_t& pos, size_t base) const {
    const size_t start = pos;
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= data.size()) {
            fail("truncated varint", base + start);
        }
        const auto byte = static_cast<uint8_t>(data[pos++]);
        // The tenth byte may only carry the top bit of a 64-bit value.
        if (shift == 63 && byte > 1) {
            fail("varint longer than 64 bits", base + start);
        }
        result |= static_cast<uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            return result;
        }
    }
    fail("varint longer than 10 bytes", base + start);
}

uint64_t ProtobufReader::readFixed(std::string_view data, size_t& pos, size_t base,
                                   size_t width) const {
    if (data.size() - pos < width) {
        fail("truncated " + std::to_string(width * 8) + "-bit value", base + pos);
    }
    // The wire format is little-endian whatever the host is.
    uint64_t result = 0;
    for (size_t i = 0; i < width; ++i) {
        result |= static_cast<uint64_t>(static_cast<uint8_t>(data[pos + i])) << (8 * i);
    }
    pos += width;
    return result;
}

bool ProtobufReader::next(ProtobufField& field) {
    if (m_pos >= m_buffer.size()) {
        return false;
    }
    const size_t keyOffset = m_base + m_pos;
    const uint64_t key = readVarint(m_buffer, m_pos, m_base);
    const uint64_t number = key >> 3;
    if (number == 0 || number > kMaxFieldNumber) {
        fail("invalid field number " + std::to_string(number), keyOffset);
    }
    field.number = static_cast<uint32_t>(number);
    field.bytes = {};
    field.value = 0;
    switch (key & 7) {
        case 0:
            field.wireType = WireType::Varint;
            field.offset = m_base + m_pos;
            field.value = readVarint(m_buffer, m_pos, m_base);
            return true;
        case 1:
            field.wireType = WireType::Fixed64;
            field.offset = m_base + m_pos;
            field.value = readFixed(m_buffer, m_pos, m_base, 8);
            return true;
        case 5:
            field.wireType = WireType::Fixed32;
            field.offset = m_base + m_pos;
            field.value = readFixed(m_buffer, m_pos, m_base, 4);
            return true;
        case 2: {
            field.wireType = WireType::LengthDelimited;
            const uint64_t length = readVarint(m_buffer, m_pos, m_base);
            if (length > m_buffer.size() - m_pos) {
                fail("field " + std::to_string(number) + " claims " + std::to_string(length) +
                         " bytes but only " + std::to_string(m_buffer.size() - m_pos) + " remain",
                     keyOffset);
            }
            field.offset = m_base + m_pos;
            field.bytes = m_buffer.substr(m_pos, static_cast<size_t>(length));
            m_pos += static_cast<size_t>(length);
            return true;
        }
        default:
            // Groups (3, 4) are deprecated and unused by ONNX; 6 and 7 do not exist.
            fail("unsupported wire type " + std::to_string(key & 7) + " in field " +
                     std::to_string(number),
                 keyOffset);
    }
}

ProtobufReader ProtobufReader::nested(const ProtobufField& field, const std::string& name) const {
    expect(field, WireType::LengthDelimited);
    return ProtobufReader(field.bytes, m_context + " > " + name, field.offset);
}

void ProtobufReader::expect(const ProtobufField& field, WireType type) const {
    if (field.wireType != type) {
        fail("field " + std::to_string(field.number) + " is " + wireTypeName(field.wireType) +
                 ", expected " + wireTypeName(type),
             field.offset);
    }
}

uint64_t ProtobufReader::uint64(const ProtobufField& field) const {
    expect(field, WireType::Varint);
    return field.value;
}

int64_t ProtobufReader::int64(const ProtobufField& field) const {
    return static_cast<int64_t>(uint64(field));
}

int32_t ProtobufReader::int32(const ProtobufField& field) const {
    // Negative int32 values are sign-extended to ten bytes; the low 32 bits are the value.
    return static_cast<int32_t>(static_cast<uint32_t>(uint64(field)));
}

float ProtobufReader::float32(const ProtobufField& field) const {
    expect(field, WireType::Fixed32);
    const auto bits = static_cast<uint32_t>(field.value);
    float value;
    std::memcpy(&value, &bits, sizeof value);
    return value;
}

double ProtobufReader::float64(const ProtobufField& field) const {
    expect(field, WireType::Fixed64);
    double value;
    std::memcpy(&value, &field.value, sizeof value);
    return value;
}

std::string ProtobufReader::string(const ProtobufField& field) const {
    expect(field, WireType::LengthDelimited);
    return std::string(field.bytes);
}

void ProtobufReader::appendInt64s(const ProtobufField& field, std::vector<int64_t>& out) const {
    if (field.wireType != WireType::LengthDelimited) {
        out.push_back(int64(field));
        return;
    }
    // Every varint ends in one byte with the top bit clear: count them to reserve exactly.
    const auto count = std::count_if(field.bytes.begin(), field.bytes.end(),
                                     [](char c) { return (static_cast<uint8_t>(c) & 0x80) == 0; });
    out.reserve(out.size() + static_cast<size_t>(count));
    size_t pos = 0;
    while (pos < field.bytes.size()) {
        out.push_back(static_cast<int64_t>(readVarint(field.bytes, pos, field.offset)));
    }
}

void ProtobufReader::appendFloats(const ProtobufField& field, std::vector<float>& out) const {
    if (field.wireType != WireType::LengthDelimited) {
        out.push_back(float32(field));
        return;
    }
    if (field.bytes.size() % 4 != 0) {
        fail("packed float field of " + std::to_string(field.bytes.size()) +
                 " bytes, not a multiple of 4",
             field.offset);
    }
    const size_t count = field.bytes.size() / 4;
    const size_t start = out.size();
    out.resize(start + count);
    for (size_t i = 0; i < count; ++i) {
        size_t pos = i * 4;
        const auto bits = static_cast<uint32_t>(readFixed(field.bytes, pos, field.offset, 4));
        std::memcpy(&out[start + i], &bits, 4);
    }
}

void ProtobufReader::appendDoubles(const ProtobufField& field, std::vector<double>& out) const {
    if (field.wireType != WireType::LengthDelimited) {
        out.push_back(float64(field));
        return;
    }
    if (field.bytes.size() % 8 != 0) {
        fail("packed double field of " + std::to_string(field.bytes.size()) +
                 " bytes, not a multiple of 8",
             field.offset);
    }
    const size_t count = field.bytes.size() / 8;
    const size_t start = out.size();
    out.resize(start + count);
    for (size_t i = 0; i < count; ++i) {
        size_t pos = i * 8;
        const uint64_t bits = readFixed(field.bytes, pos, field.offset, 8);
        std::memcpy(&out[start + i], &bits, 8);
    }
}

}  // namespace loom
