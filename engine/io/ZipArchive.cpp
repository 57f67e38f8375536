// ZIP reading after APPNOTE.TXT: the end-of-central-directory record (searched for within the
// last 64 KiB, where its comment may hide it), the Zip64 records when a count or offset
// overflows 16/32 bits, then each member's local header for where its data starts. Sizes
// come from the central directory, so members written with data descriptors read too.

#include "io/ZipArchive.h"

#include <loom/Error.h>

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <filesystem>

namespace loom {
namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr uint32_t kZip64End = 0x06064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50;
constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint64_t kEndRecordSize = 22;
constexpr uint64_t kDirectoryEntrySize = 46;
constexpr uint64_t kLocalHeaderSize = 30;
/// Deflate cannot pack more than about 1032 bytes into one.
constexpr uint64_t kMaxDeflateRatio = 1032;
/// zlib counts in 32-bit units; larger members go through it in pieces of this size.
constexpr uint64_t kZlibPiece = uint64_t{1} << 30;

uint64_t little(const std::string& bytes, size_t at, int width) {
    uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i) {
        value = value << 8 | static_cast<unsigned char>(bytes[at + static_cast<size_t>(i)]);
    }
    return value;
}

uint16_t u16(const std::string& b, size_t at) {
    return static_cast<uint16_t>(little(b, at, 2));
}
uint32_t u32(const std::string& b, size_t at) {
    return static_cast<uint32_t>(little(b, at, 4));
}
uint64_t u64(const std::string& b, size_t at) {
    return little(b, at, 8);
}

[[maybe_unused]] uint32_t crcOf(const std::string& data) {
    return static_cast<uint32_t>(
        crc32_z(crc32_z(0, Z_NULL, 0), reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

}  // namespace

ZipArchive::ZipArchive(const std::string& path) : m_path(path) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) {
        throw IoError(path + ": no such file");
    }
    m_size = std::filesystem::file_size(path, error);
    m_file.open(path, std::ios::binary);
    if (error || !m_file) {
        throw IoError(path + ": cannot be opened");
    }
    readDirectory();
}

void ZipArchive::fail(const std::string& what) const {
    throw IoError(m_path + ": " + what);
}

std::vector<std::string> ZipArchive::names() const {
    std::vector<std::string> all;
    for (const auto& [name, entry] : m_entries) {
        all.push_back(name);
    }
    return all;
}

std::string ZipArchive::readAt(uint64_t offset, uint64_t size) const {
    if (offset > m_size || size > m_size - offset) {
        fail("is truncated or corrupt (a record points past the end of the file)");
    }
    std::string bytes(size, '\0');
    m_file.clear();
    m_file.seekg(static_cast<std::streamoff>(offset));
    if (!m_file.read(bytes.data(), static_cast<std::streamsize>(size))) {
        fail("could not be read");
    }
    return bytes;
}

void ZipArchive::readDirectory() {
    if (m_size < kEndRecordSize) {
        fail("is not a zip archive (too short)");
    }
    const uint64_t tail = std::min<uint64_t>(m_size, kEndRecordSize + 0xFFFF);
    const std::string end = readAt(m_size - tail, tail);
    size_t at = std::string::npos;
    for (size_t i = end.size() - kEndRecordSize + 1; i-- > 0;) {
        if (u32(end, i) == kEndOfDirectory && i + kEndRecordSize + u16(end, i + 20) <= end.size()) {
            at = i;
            break;
        }
    }
    if (at == std::string::npos) {
        fail("is not a zip archive (no end-of-directory record)");
    }
    uint64_t count = u16(end, at + 10), dirSize = u32(end, at + 12), dirOffset = u32(end, at + 16);
    const uint64_t endOffset = m_size - tail + at;
    if (count == 0xFFFF || dirSize == 0xFFFFFFFF || dirOffset == 0xFFFFFFFF) {
        const std::string locator = readAt(endOffset < 20 ? m_size : endOffset - 20, 20);
        if (u32(locator, 0) != kZip64Locator) {
            fail("has a damaged Zip64 locator");
        }
        const std::string record = readAt(u64(locator, 8), 56);
        if (u32(record, 0) != kZip64End) {
            fail("has a damaged Zip64 end record");
        }
        count = u64(record, 32);
        dirSize = u64(record, 40);
        dirOffset = u64(record, 48);
    }
    if (dirOffset > m_size || dirSize > m_size - dirOffset ||
        count > dirSize / kDirectoryEntrySize) {
        fail("has a central directory that does not fit in the file");
    }
    const std::string dir = readAt(dirOffset, dirSize);
    size_t pos = 0;
    for (uint64_t i = 0; i < count; ++i) {
        if (pos + kDirectoryEntrySize > dir.size() || u32(dir, pos) != kDirectoryEntry) {
            fail("has a damaged central directory");
        }
        Entry e;
        e.flags = u16(dir, pos + 8);
        e.method = u16(dir, pos + 10);
        e.crc = u32(dir, pos + 16);
        e.compressedSize = u32(dir, pos + 20);
        e.size = u32(dir, pos + 24);
        e.localHeader = u32(dir, pos + 42);
        const size_t nameLength = u16(dir, pos + 28), extraLength = u16(dir, pos + 30);
        const size_t next =
            pos + kDirectoryEntrySize + nameLength + extraLength + u16(dir, pos + 32);
        if (next > dir.size()) {
            fail("has a damaged central directory");
        }
        const std::string name = dir.substr(pos + kDirectoryEntrySize, nameLength);
        readZip64Sizes(dir.substr(pos + kDirectoryEntrySize + nameLength, extraLength), e);
        if (!m_entries.emplace(name, e).second) {
            fail("names the member '" + name + "' twice");
        }
        pos = next;
    }
}

void ZipArchive::readZip64Sizes(const std::string& extra, Entry& e) const {
    for (size_t pos = 0; pos + 4 <= extra.size();) {
        const uint16_t id = u16(extra, pos), length = u16(extra, pos + 2);
        if (pos + 4 + length > extra.size()) {
            fail("has a damaged extra field in its central directory");
        }
        if (id == 1) {
            // Only the fields whose 32-bit slot overflowed are present, in this order.
            size_t field = pos + 4;
            for (uint64_t* value : {&e.size, &e.compressedSize, &e.localHeader}) {
                if (*value == 0xFFFFFFFF) {
                    if (field + 8 > pos + 4 + length) {
                        fail("has a damaged Zip64 extra field");
                    }
                    *value = u64(extra, field);
                    field += 8;
                }
            }
        }
        pos += 4 + length;
    }
}

uint64_t ZipArchive::dataOffset(const std::string& name, const Entry& entry) const {
    const std::string local = readAt(entry.localHeader, kLocalHeaderSize);
    if (u32(local, 0) != kLocalHeader) {
        fail("member '" + name + "' has a damaged header");
    }
    const uint64_t offset = entry.localHeader + kLocalHeaderSize + u16(local, 26) + u16(local, 28);
    if (offset > m_size || entry.compressedSize > m_size - offset) {
        fail("member '" + name + "' is larger than the file (truncated?)");
    }
    return offset;
}

std::string ZipArchive::inflateMember(const std::string& name, const std::string& packed,
                                      uint64_t size) const {
    std::string out(size, '\0');
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
        fail("member '" + name + "' cannot be unpacked (zlib failed to start)");
    }
    uint64_t in = 0, produced = 0;
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data() + in));
        z.avail_in = static_cast<uInt>(std::min(packed.size() - in, kZlibPiece));
        z.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
        z.avail_out = static_cast<uInt>(std::min(size - produced, kZlibPiece));
        const uInt inBefore = z.avail_in, outBefore = z.avail_out;
        rc = inflate(&z, Z_NO_FLUSH);
        in += inBefore - z.avail_in;
        produced += outBefore - z.avail_out;
        if (rc == Z_OK && inBefore == z.avail_in && outBefore == z.avail_out) {
            rc = Z_BUF_ERROR;  // no progress: out of input or out of room
        }
    }
    inflateEnd(&z);
    if (rc != Z_STREAM_END || produced != size) {
        fail("member '" + name + "' is corrupt (its deflate data does not unpack to " +
             std::to_string(size) + " bytes)");
    }
    return out;
}

std::string ZipArchive::read(const std::string& name, uint64_t maxBytes) const {
    auto it = m_entries.find(name);
    if (it == m_entries.end()) {
        fail("has no member '" + name + "'");
    }
    const Entry& e = it->second;
    if ((e.flags & 1) != 0) {
        fail("member '" + name + "' is encrypted");
    }
    if (e.size > maxBytes) {
        fail("member '" + name + "' claims " + std::to_string(e.size) + " bytes, more than the " +
             std::to_string(maxBytes) + " allowed");
    }
    const uint64_t offset = dataOffset(name, e);
    std::string data;
    if (e.method == 0) {
        if (e.compressedSize != e.size) {
            fail("member '" + name + "' is stored but its two sizes differ");
        }
        data = readAt(offset, e.size);
    } else if (e.method == 8) {
        if (e.size / kMaxDeflateRatio > e.compressedSize + 1) {
            fail("member '" + name + "' claims more bytes than deflate can pack into its size");
        }
        data = inflateMember(name, readAt(offset, e.compressedSize), e.size);
    } else {
        fail("member '" + name + "' is packed with method " + std::to_string(e.method) +
             " (only stored and deflated members are read)");
    }
    // A fuzzing build (LOOM_FUZZ) skips the check, so that changed bytes in config.json and
    // model.weights.h5 reach the readers behind it instead of stopping here.
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    if (crcOf(data) != e.crc) {
        fail("member '" + name + "' is corrupt (its CRC-32 does not match)");
    }
#endif
    return data;
}

}  // namespace loom
